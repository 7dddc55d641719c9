"""Reading an item bank from a folder or a zip archive into {relative path: bytes}."""

import io
import zipfile
from pathlib import Path

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


def files_from_folder(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def files_from_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_ARCHIVE_BYTES:
            raise ValueError("archive too large")
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir() and ".." not in Path(info.filename).parts
        }
