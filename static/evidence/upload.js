/* File an exhibit: hash each file in slices (hash-wasm), then send it with tus 1.0 (tus-js-client) to the
 * registry's upload endpoint, showing bytes, rate and time left. Uploads resume after a dropped connection
 * (automatic retries, then a Resume button, and on its own when the browser comes back online) and after a page
 * reload (tus-js-client keeps each upload's URL in localStorage under a fingerprint of the case and the file; the
 * user chooses the same file again and it continues from the server's offset, without hashing it again).
 * The first file creates the exhibit; the next ones are added to it (`exhibit` metadata = Tribunal-Exhibit).
 * No file is ever read whole into memory: hashing and per-chunk checksums read one slice at a time. */
(function () {
  "use strict";

  var form = document.getElementById("exhibit-form");
  if (!form || !window.tus || !window.hashwasm) return;

  var HASH_SLICE = 8 * 1024 * 1024;
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
  var endpoint = form.dataset.endpoint;
  var caseId = form.dataset.case;
  var chunkSize = Number(form.dataset.chunkSize);
  var maxFileBytes = Number(form.dataset.maxFileBytes);
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var filingKey = "tribunal-filing-" + caseId;
  var fingerprintPrefix = "tribunal-" + caseId + "-";

  var fields = document.getElementById("exhibit-fields");
  var fileInput = document.getElementById("id_files");
  var button = document.getElementById("upload-button");
  var formError = document.getElementById("form-error");
  var list = document.getElementById("upload-list");
  var busy = false;

  /* ---- formatting ---------------------------------------------------------------------------------------- */
  /* Binary units, as Django's filesizeformat shows sizes on the exhibit pages. */
  function formatBytes(n) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + " " + units[i];
  }
  function formatDuration(seconds) {
    if (!isFinite(seconds) || seconds < 0) return "";
    seconds = Math.ceil(seconds);
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + (seconds % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }
  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  /* Rate over the last five seconds, so a stall or a resume shows quickly in the figures. */
  function RateMeter() { this.samples = []; }
  RateMeter.prototype.add = function (bytes) {
    var now = performance.now();
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
  };
  RateMeter.prototype.rate = function () {
    if (this.samples.length < 2) return 0;
    var first = this.samples[0], last = this.samples[this.samples.length - 1];
    return last[0] > first[0] ? ((last[1] - first[1]) * 1000) / (last[0] - first[0]) : 0;
  };
  RateMeter.prototype.reset = function () { this.samples = []; };

  /* ---- one row per file ------------------------------------------------------------------------------------ */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function Row(file) {
    this.file = file;
    this.meter = new RateMeter();
    this.node = el("li", "upload");
    var head = el("div", "upload__head");
    head.appendChild(el("span", "upload__name", file.name));
    head.appendChild(el("span", "upload__size muted", formatBytes(file.size)));
    this.phase = el("span", "upload__phase", "Waiting");
    head.appendChild(this.phase);
    this.bar = el("progress", "upload__bar");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", "Upload of " + file.name);
    this.stats = el("p", "upload__stats muted", "");
    this.message = el("p", "upload__message");
    this.message.hidden = true;
    this.actions = el("div", "upload__actions");
    this.node.append(head, this.bar, this.stats, this.message, this.actions);
    this.setState("waiting");
    list.appendChild(this.node);
  }
  Row.prototype.setState = function (state, phase) {
    this.node.dataset.state = state;
    if (phase) this.phase.textContent = phase;
  };
  Row.prototype.progress = function (done, total, verb) {
    this.meter.add(done);
    var percent = total ? Math.floor((done * 100) / total) : 100;
    this.bar.value = percent;
    var rate = this.meter.rate();
    var parts = [verb + " " + formatBytes(done) + " of " + formatBytes(total), percent + " %"];
    if (rate > 0 && done < total) {
      parts.push(formatBytes(rate) + "/s", formatDuration((total - done) / rate) + " left");
    }
    this.stats.textContent = parts.join(" · ");
  };
  Row.prototype.say = function (text, kind) {
    this.message.textContent = text;
    this.message.className = "upload__message" + (kind ? " upload__message--" + kind : "");
    this.message.hidden = !text;
  };
  Row.prototype.clearActions = function () {
    while (this.actions.firstChild) this.actions.removeChild(this.actions.firstChild);
  };
  Row.prototype.addAction = function (label, onClick) {
    var action = el("button", "button--small", label);
    action.type = "button";
    action.addEventListener("click", onClick);
    this.actions.appendChild(action);
    return action;
  };
  Row.prototype.link = function (href, label) {
    this.clearActions();
    var anchor = el("a", "", label);
    anchor.href = href;
    this.actions.appendChild(anchor);
  };

  /* ---- hashing --------------------------------------------------------------------------------------------- */
  async function sha256OfFile(file, row) {
    var hasher = await window.hashwasm.createSHA256();
    hasher.init();
    row.meter.reset();
    row.setState("hashing", "Computing SHA-256");
    for (var start = 0; start < file.size; start += HASH_SLICE) {
      var end = Math.min(file.size, start + HASH_SLICE);
      hasher.update(new Uint8Array(await file.slice(start, end).arrayBuffer()));
      row.progress(end, file.size, "Hashed");
    }
    return hasher.digest("hex");
  }

  /* tus-js-client reads the file through this source; each chunk's SHA-256 is kept for its PATCH request's
   * Upload-Checksum header (added in onBeforeRequest, keyed by the chunk's offset). */
  function checksummingReader(checksums) {
    return {
      openFile: function (file) {
        return Promise.resolve({
          size: file.size,
          slice: async function (start, end) {
            var value = file.slice(start, end);
            var hasher = await window.hashwasm.createSHA256();
            hasher.init();
            hasher.update(new Uint8Array(await value.arrayBuffer()));
            checksums.clear();
            checksums.set(start, "sha256 " + toBase64(hasher.digest("binary")));
            return { value: value, done: end >= file.size };
          },
          close: function () {},
        });
      },
    };
  }

  function fingerprint(file) {
    return Promise.resolve(fingerprintPrefix + [file.name, file.type, file.size, file.lastModified].join("-"));
  }

  function errorDetail(error) {
    var response = error && error.originalResponse;
    if (!response) return { status: 0, detail: "" };
    var detail = "";
    try {
      detail = JSON.parse(response.getBody() || "{}").detail || "";
    } catch (ignored) {
      detail = "";
    }
    return { status: response.getStatus(), detail: detail };
  }

  function isRetryable(status) {
    return status === 0 || status >= 500 || status === 409 || status === 423 || status === 460;
  }

  /* ---- one file ------------------------------------------------------------------------------------------- */
  function newMetadata(file, exhibitId) {
    var metadata = { case: String(caseId), filename: file.name };
    if (exhibitId) {
      metadata.exhibit = String(exhibitId);
      return metadata;
    }
    metadata.kind = form.elements.kind.value;
    metadata.title = form.elements.title.value;
    metadata.description = form.elements.description.value;
    metadata.tier = form.elements.tier.value;
    if (metadata.kind === "model_outputs" && form.elements.watermark_key.value.trim()) {
      metadata.watermark_key = form.elements.watermark_key.value.trim();
    }
    return metadata;
  }

  /* Resolves with {exhibitId, url, label} once the registry has the file, or {rejected: message}. While the
   * connection is down it stays pending: the user (or the browser coming back online) resumes it. */
  function sendFile(file, row, exhibitId) {
    return new Promise(function (finish) {
      var checksums = new Map();
      var resuming = false;
      var upload = new window.tus.Upload(file, {
        endpoint: endpoint,
        chunkSize: chunkSize,
        retryDelays: RETRY_DELAYS,
        headers: { "X-CSRFToken": csrfToken },
        fingerprint: fingerprint,
        removeFingerprintOnSuccess: true,
        fileReader: checksummingReader(checksums),
        onBeforeRequest: function (req) {
          if (req.getMethod() === "PATCH") {
            var sum = checksums.get(Number(req.getHeader("Upload-Offset")));
            if (sum) req.setHeader("Upload-Checksum", sum);
          }
        },
        onShouldRetry: function (error) {
          return isRetryable(errorDetail(error).status) && navigator.onLine;
        },
        onProgress: function (sent, total) {
          row.setState("uploading", sent >= total ? "Verifying on the server" : "Uploading");
          row.say("");
          row.progress(sent, total, "Sent");
        },
        onSuccess: function (payload) {
          var response = payload && payload.lastResponse;
          var id = response && response.getHeader("Tribunal-Exhibit");
          var url = response && response.getHeader("Tribunal-Exhibit-Url");
          var label = (response && response.getHeader("Tribunal-Exhibit-Label")) || "the exhibit";
          window.removeEventListener("online", resume);
          row.bar.value = 100;
          row.setState("done", "Received");
          row.stats.textContent = formatBytes(file.size) + " received; the registry's SHA-256 matches yours.";
          row.say("Now being checked: the exhibit page shows the result.", "ok");
          if (url) row.link(url, "Open " + label);
          finish({ exhibitId: id, url: url, label: label });
        },
        onError: function (error) {
          var info = errorDetail(error);
          if (resuming && /unable to resume/.test(String(error && error.message))) {
            // The stored upload is gone (expired, refused or terminated): send the file afresh.
            row.say("The interrupted upload could not be continued; sending the file again.", "warning");
            startFresh();
            return;
          }
          if (!isRetryable(info.status)) {
            window.removeEventListener("online", resume);
            refuse(info.detail || "The registry refused this file (HTTP " + info.status + ").");
            return;
          }
          row.setState("paused", "Interrupted");
          row.meter.reset();
          var offline = !navigator.onLine;
          row.say(
            (offline ? "You are offline. " : "The connection to the registry was lost. ") +
              "What was sent is kept; the upload continues from there " +
              (offline ? "as soon as you are back online, or when you press Resume." : "when you press Resume."),
            "warning"
          );
          row.clearActions();
          row.addAction("Resume", resume);
          window.addEventListener("online", resume, { once: true });
        },
      });

      function refuse(message) {
        row.setState("rejected", "Refused");
        row.clearActions();
        row.say(message, "error");
        finish({ rejected: message });
      }

      function resume() {
        if (row.node.dataset.state !== "paused") return;
        row.clearActions();
        row.say("Resuming…");
        row.setState("uploading", "Resuming");
        upload.start();
      }

      async function startFresh() {
        resuming = false;
        upload.url = null;
        upload.options.endpoint = endpoint;
        var digest;
        try {
          digest = await sha256OfFile(file, row);
        } catch (error) {
          refuse("The browser could not read this file (" + error.name + "). Choose it again.");
          return;
        }
        upload.options.metadata = Object.assign(newMetadata(file, exhibitId), { sha256: digest });
        row.meter.reset();
        row.setState("uploading", "Uploading");
        upload.start();
      }

      upload.findPreviousUploads().then(function (previous) {
        if (!previous.length) {
          startFresh();
          return;
        }
        // Continue where the registry stopped. The declared SHA-256 is already on the server's record, so the
        // file is not hashed again. Without an endpoint, tus-js-client reports a vanished upload as an error
        // (handled in onError) instead of quietly creating a new upload that would lack the declared hash.
        resuming = true;
        upload.options.endpoint = null;
        upload.resumeFromPreviousUpload(previous[0]);
        row.setState("uploading", "Resuming");
        row.say("Continuing an interrupted upload of this file.");
        upload.start();
      });
    });
  }

  /* ---- a filing that spans a reload: the exhibit its first file created ---------------------------------------- */
  function loadFiling() {
    try {
      return JSON.parse(localStorage.getItem(filingKey) || "null");
    } catch (ignored) {
      return null;
    }
  }
  function saveFiling(filing) {
    try { localStorage.setItem(filingKey, JSON.stringify(filing)); } catch (ignored) { /* private mode */ }
  }
  function forgetFiling() {
    try { localStorage.removeItem(filingKey); } catch (ignored) { /* private mode */ }
  }

  function showResumeNotice() {
    var notice = document.getElementById("resume-notice");
    var filing = loadFiling();
    var storage = window.tus.defaultOptions.urlStorage;
    var pending = storage && storage.findAllUploads ? storage.findAllUploads() : Promise.resolve([]);
    pending.then(function (uploads) {
      var mine = uploads.filter(function (u) {
        return String(u.urlStorageKey || "").indexOf("tus::" + fingerprintPrefix) === 0;
      });
      var resumeList = document.getElementById("resume-list");
      mine.forEach(function (u) {
        var name = (u.metadata && u.metadata.filename) || "a file";
        resumeList.appendChild(el("li", "", name + " (" + formatBytes(u.size || 0) + ")"));
      });
      if (filing && filing.exhibitId) {
        var link = document.getElementById("resume-exhibit-link");
        link.href = filing.url || "#";
        link.textContent = (filing.label || "#" + filing.exhibitId) + (filing.title ? " " + filing.title : "");
        document.getElementById("resume-exhibit").hidden = false;
        fields.disabled = true;
      }
      notice.hidden = !(mine.length || (filing && filing.exhibitId));
    });
  }

  document.getElementById("resume-forget").addEventListener("click", function () {
    forgetFiling();
    fields.disabled = false;
    document.getElementById("resume-exhibit").hidden = true;
  });

  /* ---- the form ------------------------------------------------------------------------------------------- */
  var watermark = document.getElementById("watermark-field");
  function toggleWatermark() {
    watermark.hidden = form.elements.kind.value !== "model_outputs";
  }
  form.elements.kind.addEventListener("change", toggleWatermark);
  toggleWatermark();

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = !text;
  }

  window.addEventListener("beforeunload", function (event) {
    if (busy) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    showFormError("");
    if (busy) return;
    var files = Array.prototype.slice.call(fileInput.files || []);
    if (!files.length) {
      showFormError("Choose at least one file.");
      return;
    }
    if (!fields.disabled && !form.reportValidity()) return;
    var tooBig = files.filter(function (f) { return f.size > maxFileBytes; });
    if (tooBig.length) {
      showFormError(tooBig[0].name + " is " + formatBytes(tooBig[0].size) + "; the limit is " + formatBytes(maxFileBytes) + ".");
      return;
    }
    var empty = files.filter(function (f) { return f.size === 0; });
    if (empty.length) {
      showFormError(empty[0].name + " is empty.");
      return;
    }
    busy = true;
    button.disabled = true;
    fileInput.disabled = true;
    var previouslyDisabled = fields.disabled;
    fields.disabled = true;
    list.textContent = "";
    document.getElementById("uploads").hidden = false;
    document.getElementById("upload-done").hidden = true;
    var rows = files.map(function (f) { return new Row(f); });
    var filing = loadFiling();
    var stopped = false;
    for (var i = 0; i < files.length; i++) {
      var outcome = await sendFile(files[i], rows[i], filing && filing.exhibitId);
      if (outcome.rejected) {
        stopped = true;
        rows.slice(i + 1).forEach(function (r) { r.setState("skipped", "Not sent"); });
        break;
      }
      if (!filing && outcome.exhibitId) {
        filing = { exhibitId: outcome.exhibitId, url: outcome.url, label: outcome.label, title: form.elements.title.value };
        saveFiling(filing);
      }
    }
    busy = false;
    if (stopped) {
      button.disabled = false;
      fileInput.disabled = false;
      fields.disabled = previouslyDisabled || Boolean(filing);
      showFormError(
        filing
          ? "A file was refused. The files before it are in exhibit " + filing.label + "; choose the remaining files to add them."
          : "The file was refused; nothing was filed. Correct it and upload again."
      );
      if (filing) showResumeNotice();
      return;
    }
    forgetFiling();
    var done = document.getElementById("upload-done");
    var doneLink = document.getElementById("upload-done-link");
    doneLink.href = (filing && filing.url) || form.dataset.exhibitsUrl;
    doneLink.textContent = "Open exhibit " + ((filing && filing.label) || "");
    done.hidden = false;
  });

  showResumeNotice();
})();
