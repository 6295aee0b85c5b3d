"""SHA-256 of large files with a bounded resident set.

Same speed as hashing from a memory map (page-aligned, no copies), but pages already hashed are released from
the process's resident set as it goes, so hashing a 2 GB weight file does not add 2 GB to peak RSS.
"""

from __future__ import annotations

import hashlib
import mmap
import os

BLOCK = 8 * 2**20
RELEASE_EVERY = 16 * 2**20


def sha256_bounded(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return digest.hexdigest()
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                released = 0
                for start in range(0, size, BLOCK):
                    digest.update(view[start : start + BLOCK])
                    done = min(size, start + BLOCK)
                    if done - released >= RELEASE_EVERY or done == size:
                        mapped.madvise(mmap.MADV_DONTNEED, released, done - released)
                        released = done
            finally:
                view.release()
    return digest.hexdigest()
