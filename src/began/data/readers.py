"""Work out what kind of data source a path is, list what it holds and read array formats.

Image files (folders and zips) are only *listed* here; ``decode.py`` opens them one by one so
that the work can be spread over processes. Array formats (``.npy``, ``.npz``, IDX and the
embedded default set) are read whole here as uint8 ``(N, H, W, C)`` arrays.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from began.data.errors import DataError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})
EMBEDDED_FILE = "t10k-images-idx3-ubyte.gz"
ARRAY_KINDS = frozenset({"embedded", "npy", "npz", "idx", "idx-folder"})

# Any IDX file (images, labels, ...) versus the image files an IDX folder is read from. The
# second also accepts the "train-images.idx3-ubyte" spelling some mirrors use.
_IDX_ANY = re.compile(r"idx\d-ubyte(\.gz)?$", re.IGNORECASE)
_IDX_IMAGES = re.compile(r"images[-.]idx3-ubyte(\.gz)?$", re.IGNORECASE)
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
_ZIP_JUNK = "__MACOSX/"  # resource forks added by macOS archivers; never real images


@dataclass(frozen=True)
class Source:
    """A resolved data source.

    ``kind`` is one of "embedded", "folder", "zip", "npy", "npz", "idx" or "idx-folder".
    ``members`` lists what is read, in output order: image paths relative to a folder (POSIX
    separators), member names of a zip, or the IDX file names of an IDX folder.
    """

    kind: str
    path: Path | None
    members: tuple[str, ...] = ()

    @property
    def is_array(self) -> bool:
        """True when the source is read as whole arrays rather than image files."""
        return self.kind in ARRAY_KINDS

    def files(self) -> list[Path]:
        """The files on disk whose content makes up this source (empty for embedded)."""
        if self.path is None:
            return []
        if self.kind in ("folder", "idx-folder"):
            return [self.path / name for name in self.members]
        return [self.path]


def describe_source(source: str | os.PathLike[str] | None) -> str:
    """Return a short human label for ``source``, for logs and progress bars; never raises."""
    if source is None:
        return "embedded Fashion-MNIST (10k test split)"
    path = Path(source).expanduser()
    if path.is_dir():
        return f"folder {path}"
    if not path.exists():
        return f"{path} (missing)"
    name = path.name.lower()
    if name.endswith(".zip"):
        return f"zip archive {path}"
    if name.endswith((".npy", ".npz")):
        return f"NumPy file {path}"
    if _IDX_ANY.search(name):
        return f"IDX file {path}"
    return f"file {path}"


def resolve_source(source: str | os.PathLike[str] | None) -> Source:
    """Detect the kind of ``source`` and list its contents; raise DataError if unusable."""
    if source is None:
        return Source("embedded", None, (EMBEDDED_FILE,))
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        return _resolve_folder(path)
    name = path.name.lower()
    if name.endswith(".zip"):
        return Source("zip", path, _zip_members(path))
    if name.endswith(".npz"):
        return Source("npz", path)
    if name.endswith(".npy"):
        return Source("npy", path)
    if _IDX_ANY.search(name):
        return Source("idx", path)
    raise DataError(
        f"{path}: unsupported data source; expected a folder of images, a .zip of images, "
        "a .npy/.npz array or an IDX file (*-idx3-ubyte or *-idx3-ubyte.gz)"
    )


def _resolve_folder(folder: Path) -> Source:
    images = list_image_files(folder)
    if images:
        return Source("folder", folder, images)
    idx_files = list_idx_image_files(folder)
    if idx_files:
        return Source("idx-folder", folder, idx_files)
    extensions = ", ".join(sorted(ext[1:] for ext in IMAGE_EXTENSIONS))
    raise DataError(
        f"{folder}: no images found (searched recursively for {extensions}; "
        "also looked for *-images-idx3-ubyte[.gz] files)"
    )


def list_image_files(folder: Path) -> tuple[str, ...]:
    """Image files below ``folder`` (recursive), as sorted relative POSIX paths."""
    found = []
    # os.walk does not follow directory symlinks, so a link loop cannot hang the listing.
    for root, _dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        for name in files:
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append((rel_root / name).as_posix())
    # Sorting the relative paths makes the output order independent of the file system.
    return tuple(sorted(found))


def list_idx_image_files(folder: Path) -> tuple[str, ...]:
    """IDX image files directly in ``folder``: every ``*-images-idx3-ubyte[.gz]`` file.

    All of them are read, training files first, then test ("t10k") files, then any others by
    name, so a Fashion-MNIST folder gives the 60k training images followed by the 10k test
    images. When both a raw and a ``.gz`` copy of one file exist, only the raw one is read.
    """
    by_stem: dict[str, str] = {}
    for entry in sorted(os.listdir(folder)):
        if _IDX_IMAGES.search(entry) and (folder / entry).is_file():
            stem = entry[:-3] if entry.lower().endswith(".gz") else entry
            if stem not in by_stem or not entry.lower().endswith(".gz"):
                by_stem[stem] = entry
    return tuple(sorted(by_stem.values(), key=_idx_order))


def _idx_order(name: str) -> tuple[int, str]:
    lower = name.lower()
    if "train" in lower:
        return (0, name)
    if "t10k" in lower or "test" in lower:
        return (1, name)
    return (2, name)


def _zip_members(path: Path) -> tuple[str, ...]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot open zip archive ({exc})") from exc
    names = [
        info.filename
        for info in infos
        if not info.is_dir()
        and not info.filename.startswith(_ZIP_JUNK)
        and os.path.splitext(info.filename)[1].lower() in IMAGE_EXTENSIONS
    ]
    if not names:
        raise DataError(f"{path}: zip archive holds no image files")
    return tuple(sorted(names))


def read_arrays(src: Source) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(label, images)`` for an array source; images are uint8 ``(N, H, W, C)``."""
    if src.kind == "embedded":
        data = resources.files("began.data").joinpath("embedded", EMBEDDED_FILE).read_bytes()
        label = f"embedded {EMBEDDED_FILE}"
        yield label, _as_images(parse_idx(_gunzip(data, label), label), label)
    elif src.kind in ("npy", "npz"):
        yield str(src.path), _as_images(_load_numpy(src.path), str(src.path))
    elif src.kind in ("idx", "idx-folder"):
        for path in src.files():
            yield str(path), _as_images(read_idx(path), str(path))
    else:
        raise ValueError(f"not an array source: {src.kind}")


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX image file (raw or gzip-compressed) as a uint8 ``(N, rows, cols)`` array."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from exc
    return parse_idx(_gunzip(data, str(path)), str(path))


def _gunzip(data: bytes, label: str) -> bytes:
    # Sniff the gzip magic rather than trusting the ".gz" suffix, which renames often lose.
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{label}: corrupt or truncated gzip data ({exc})") from exc


def parse_idx(data: bytes, label: str) -> np.ndarray:
    """Parse IDX bytes: magic ``00 00 <type> <ndim>``, big-endian uint32 sizes, then data."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"{label}: not an IDX file (bad magic number {data[:4].hex() or 'none'})")
    type_code, ndim = data[2], data[3]
    if type_code != 0x08:
        raise DataError(
            f"{label}: IDX data type is {_IDX_TYPES[type_code]} (code 0x{type_code:02x}); "
            "only unsigned byte images (0x08) are supported"
        )
    if ndim != 3:
        raise DataError(
            f"{label}: IDX file has {ndim} dimension(s) but images need 3 (count, rows, "
            "columns); is this a labels file?"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{label}: IDX header is truncated")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataError(
            f"{label}: IDX header announces {dims} = {expected} bytes of pixels but the file "
            f"holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def _load_numpy(path: Path) -> np.ndarray:
    """Load a ``.npy`` array, or from a ``.npz`` the array named ``x`` or ``images`` if present,
    else its first array. The content decides, not the suffix."""
    bad_file = (OSError, ValueError, EOFError, zipfile.BadZipFile)
    try:
        # Memory-mapping lets a large .npy be processed batch by batch without a full copy.
        loaded = np.load(path, mmap_mode="r", allow_pickle=False)
    except bad_file as exc:
        raise DataError(f"{path}: cannot read NumPy file ({exc})") from exc
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        if not loaded.files:
            raise DataError(f"{path}: .npz archive holds no arrays")
        key = next((k for k in ("x", "images") if k in loaded.files), loaded.files[0])
        try:
            return loaded[key]
        except bad_file as exc:  # e.g. an object array (pickle) or a CRC error
            raise DataError(f"{path}: cannot read array {key!r} ({exc})") from exc


def _as_images(array: np.ndarray, label: str) -> np.ndarray:
    """Check an array holds uint8 images and give it a channel axis: ``(N, H, W, C)``."""
    if array.dtype != np.uint8:
        raise DataError(
            f"{label}: array dtype is {array.dtype}; only uint8 images (0-255) are supported"
        )
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[3] not in (1, 3, 4):
        raise DataError(
            f"{label}: array shape is {array.shape}; expected (N, H, W) or (N, H, W, C) "
            "with C = 1, 3 or 4"
        )
    if 0 in array.shape:
        raise DataError(f"{label}: array shape is {array.shape}; it holds no images")
    return array
