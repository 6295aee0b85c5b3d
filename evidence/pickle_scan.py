"""Static inspection of pickle streams. NOTHING here unpickles: `pickletools.genops` only decodes opcodes.

Pickle-based checkpoints (.bin, .pt, .pth, .ckpt) can run arbitrary code when loaded, so Tribunal never loads
them. The scan names the globals a pickle would import so the refusal message can say whether it also tries to
run code (os.system, builtins.eval, subprocess…) — useful to the tribunal as evidence in itself.
"""

from __future__ import annotations

import io
import pickletools
from dataclasses import dataclass, field
from typing import IO

PICKLE_PROTOCOL_MAGIC = {b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"}

# Globals a PyTorch/NumPy checkpoint legitimately references. Everything else is reported as suspicious.
ALLOWED_GLOBALS = {
    "collections OrderedDict",
    "torch._utils _rebuild_tensor_v2",
    "torch._utils _rebuild_parameter",
    "torch HalfStorage",
    "torch FloatStorage",
    "torch DoubleStorage",
    "torch BFloat16Storage",
    "torch LongStorage",
    "torch IntStorage",
    "torch ByteStorage",
    "torch BoolStorage",
    "torch._tensor _rebuild_from_type_v2",
    "torch Size",
    "numpy.core.multiarray _reconstruct",
    "numpy dtype",
    "numpy ndarray",
}
CODE_EXECUTION_HINTS = (
    "os ",
    "posix ",
    "nt ",
    "subprocess",
    "builtins eval",
    "builtins exec",
    "builtins __import__",
    "builtins getattr",
    "builtins open",
    "socket",
    "shutil",
    "sys ",
    "runpy",
    "importlib",
)


@dataclass
class PickleScan:
    globals: list[str] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)
    code_execution: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.code_execution:
            return "tries to run code when loaded: " + ", ".join(sorted(set(self.code_execution)))
        if self.disallowed:
            return "references objects outside the checkpoint allow-list: " + ", ".join(
                sorted(set(self.disallowed))[:10]
            )
        if self.error:
            return f"could not be decoded ({self.error})"
        return "references only tensor-rebuilding objects"


IMPORTING_OPCODES = {"GLOBAL", "INST", "STACK_GLOBAL", "REDUCE", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD"}
HEAD_BYTES = 4096  # what the gatekeeper passes in (evidence.sniff._head)
# How pickletools says the data stopped mid-pickle, as opposed to an unknown opcode or a stack error.
CUT_OFF_MESSAGES = ("remain", "no newline", "exhausted", "not enough")


def looks_like_pickle(head: bytes) -> bool:
    """Protocols 2-5 start with a PROTO opcode. Protocols 0 and 1 have no magic at all (`cposix\nsystem\n…`), so a
    head that decodes as opcodes with a sound stack and imports or calls something is a pickle too. Text fails
    that at once: an unknown opcode (a space, say) or a pop from an empty stack."""
    if head[:2] in PICKLE_PROTOCOL_MAGIC:
        return True
    if not head or head[:1] not in b"(}]cdilpq)NIFLSVX":
        return False
    imports = False
    try:
        for opcode, _arg, _pos in pickletools.genops(io.BytesIO(head)):
            imports = imports or opcode.name in IMPORTING_OPCODES
        pickletools.dis(io.BytesIO(head), out=io.StringIO())  # checks the stack discipline, genops does not
    except Exception as error:  # noqa: BLE001 - pickletools raises ValueError and others on non-pickles
        cut_off = len(head) >= HEAD_BYTES and any(message in str(error) for message in CUT_OFF_MESSAGES)
        return imports and cut_off
    return imports


def scan_pickle(stream: IO[bytes], *, max_opcodes: int = 5_000_000) -> PickleScan:
    scan = PickleScan()
    recent_strings: list[str] = []
    try:
        for count, (opcode, arg, _pos) in enumerate(pickletools.genops(stream)):
            if count > max_opcodes:
                scan.error = "too many opcodes"
                break
            if opcode.name in {
                "SHORT_BINUNICODE",
                "BINUNICODE",
                "UNICODE",
                "BINUNICODE8",
                "STRING",
                "BINSTRING",
                "SHORT_BINSTRING",
            }:
                recent_strings = [*recent_strings[-1:], str(arg)]
            elif opcode.name in {"GLOBAL", "INST"}:
                _record(scan, str(arg).replace("\n", " ").strip())
            elif opcode.name == "STACK_GLOBAL" and len(recent_strings) == 2:
                _record(scan, f"{recent_strings[0]} {recent_strings[1]}")
    except Exception as error:  # noqa: BLE001 - any decoding failure is reported, never raised to the user as a 500
        scan.error = f"{type(error).__name__}: {error}"[:200]
    return scan


def _record(scan: PickleScan, name: str) -> None:
    scan.globals.append(name)
    if name not in ALLOWED_GLOBALS:
        scan.disallowed.append(name)
        if any(name.startswith(hint) or hint.strip() == name.split(" ")[0] for hint in CODE_EXECUTION_HINTS):
            scan.code_execution.append(name)
