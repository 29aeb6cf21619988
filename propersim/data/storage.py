"""Where a run's files live: a local directory, or a URI on any pyarrow filesystem (``s3://``, ``gs://``,
``hdfs://``, ``file://``), so that the nodes of a cluster need not share a disk.

Every file of a run is read and written through :class:`Storage` (the names come from
:mod:`propersim.data.rundir`). Credentials and endpoints come from the filesystem's standard environment
(for S3: ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``).

Writes are atomic on both kinds: on a local disk a file is written under a temporary name and renamed; on an
object store one PUT creates an object whole. A file that depends on others (the manifest on its shards, a
checkpoint's ``state.json`` on its tables) is written after them, so a reader never finds it naming what is
not there yet.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq


def is_uri(location: str | os.PathLike) -> bool:
    return "://" in str(location)


class Storage:
    """A run directory (``location``: a path or a URI) and the operations a run needs on it; paths given to
    the methods are relative to it, with ``/`` separators."""

    def __init__(self, location: str | os.PathLike):
        from propersim.errors import InvalidInputError

        self.location = str(location)
        if is_uri(location):
            try:
                self.fs, root = pafs.FileSystem.from_uri(self.location)
            except (pa.ArrowException, OSError, ValueError) as e:
                raise InvalidInputError(f"{self.location}: not a filesystem pyarrow can open ({e})") from None
            self.root = root.rstrip("/")
        else:
            self.fs, self.root = pafs.LocalFileSystem(), Path(location).resolve().as_posix()
        #: a local disk: files can be renamed into place (object stores have no rename)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    @classmethod
    def of(cls, run_dir: str | os.PathLike | Storage) -> Storage:
        return run_dir if isinstance(run_dir, Storage) else cls(run_dir)

    def __repr__(self) -> str:
        return f"Storage({self.location!r})"

    def __str__(self) -> str:
        return self.location

    def __fspath__(self) -> str:
        """A local run directory is also a path (``Path(storage)``); an object store is not."""
        if not self.local:
            raise TypeError(f"{self.location} is not on this machine's filesystem")
        return self.root

    def __reduce__(self):  # filesystems travel to Ray workers as their location (credentials from their env)
        return Storage, (self.location,)

    @property
    def name(self) -> str:
        """The run directory's last component (the report's title)."""
        return PurePosixPath(self.root).name

    def path(self, rel: str = "") -> str:
        """The filesystem path of ``rel`` (what pyarrow and Ray Data take with :attr:`fs`)."""
        return f"{self.root}/{rel}" if rel else self.root

    def uri(self, rel: str = "") -> str:
        """``rel`` as a user names it (for messages)."""
        base = self.location.split("?", 1)[0].rstrip("/")  # without the URI's options
        return f"{base}/{rel}" if rel else base

    def staging(self, rel: str = "") -> Path:
        """A directory on this machine for files made here before they are stored (the report's figures,
        trackers' files): ``rel`` itself on a local disk, else a node-local directory keyed by the location."""
        if self.local:
            path = Path(self.path(rel))
        else:
            from propersim.llm.models import cache_dir
            key = hashlib.sha256(self.location.encode()).hexdigest()[:16]
            path = cache_dir() / "runs" / key / rel
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- queries

    def _type(self, rel: str) -> pafs.FileType:
        return self.fs.get_file_info(self.path(rel)).type

    def exists(self, rel: str = "") -> bool:
        return self._type(rel) != pafs.FileType.NotFound

    def is_file(self, rel: str) -> bool:
        return self._type(rel) == pafs.FileType.File

    def files(self, prefix: str = "") -> list[str]:
        """Relative paths of every file under ``prefix`` (recursively), sorted; none if it does not exist."""
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True))
        n = len(self.root) + 1
        return sorted(i.path[n:] for i in infos if i.type == pafs.FileType.File)

    # -- bytes

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self.path(rel)) as fh:
            return fh.read()

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8")

    def write(self, rel: str, data: str | bytes) -> None:
        """Write ``rel`` atomically: a reader sees the old file or the new one, whole.

        Raises:
            StorageWriteError: the write failed (the file keeps its old content, or stays absent).
        """
        with self._writing(rel):
            self._put(rel, data.encode("utf-8") if isinstance(data, str) else data)

    @contextmanager
    def _writing(self, rel: str):
        """An OSError inside becomes a StorageWriteError naming ``rel``'s URI."""
        from propersim.errors import StorageWriteError

        try:
            yield
        except OSError as e:
            raise StorageWriteError(self.uri(rel), e) from e

    def _put(self, rel: str, data: bytes) -> None:
        path = self.path(rel)
        parent = path.rsplit("/", 1)[0]
        if self.local:
            self.fs.create_dir(parent, recursive=True)
            tmp = f"{parent}/.{path.rsplit('/', 1)[1]}.tmp"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        else:
            with self.fs.open_output_stream(path) as fh:
                fh.write(data)

    def append_text(self, rel: str, text: str) -> None:
        """Add ``text`` at the end of ``rel`` (created if missing); object stores rewrite the object."""
        if self.local:
            Path(self.path(rel)).parent.mkdir(parents=True, exist_ok=True)
            with open(self.path(rel), "a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.write(rel, (self.read_text(rel) if self.is_file(rel) else "") + text)

    def sha256(self, rel: str) -> str:
        h = hashlib.sha256()
        with self.fs.open_input_stream(self.path(rel)) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    # -- tables

    def write_table(self, rel: str, table: pa.Table) -> None:
        """Write ``table`` as Parquet at ``rel``, atomically as :meth:`write`."""
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        self.write(rel, sink.getvalue().to_pybytes())

    def read_table(self, rel: str, schema: pa.Schema | None = None) -> pa.Table:
        return pq.read_table(self.path(rel), schema=schema, filesystem=self.fs)

    def read_schema(self, rel: str) -> pa.Schema:
        return pq.read_schema(self.path(rel), filesystem=self.fs)

    def num_rows(self, rel: str) -> int:
        return pq.read_metadata(self.path(rel), filesystem=self.fs).num_rows

    # -- moving and removing

    def move(self, src: str, dst: str) -> None:
        """Move file ``src`` to ``dst`` (a rename on a local disk; copy, then delete, on an object store)."""
        self.fs.create_dir(self.path(dst).rsplit("/", 1)[0], recursive=True)
        self.fs.move(self.path(src), self.path(dst))

    def delete(self, rel: str) -> None:
        """Remove file or directory ``rel`` if it exists."""
        kind = self._type(rel)
        if kind == pafs.FileType.Directory:
            self.fs.delete_dir(self.path(rel))
        elif kind == pafs.FileType.File:
            self.fs.delete_file(self.path(rel))

    def makedirs(self, rel: str = "") -> None:
        """Raises StorageWriteError: the directory (or an object store's bucket) cannot be created."""
        with self._writing(rel):
            self.fs.create_dir(self.path(rel), recursive=True)

    # -- directories of files (adapters)

    def put_dir(self, files: dict[str, bytes], rel: str) -> None:
        """Store ``files`` (relative name -> bytes) under ``rel``, replacing what was there."""
        self.delete(rel)
        for name, data in sorted(files.items()):
            self.write(f"{rel}/{name}", data)

    def get_dir(self, rel: str) -> dict[str, bytes]:
        """The files under ``rel`` as relative name -> bytes.

        Raises:
            MissingInputError: nothing is stored there.
        """
        from propersim.errors import MissingInputError

        names = self.files(rel)
        if not names:
            raise MissingInputError(f"{self.uri(rel)}: nothing stored there")
        return {name[len(rel) + 1:]: self.read_bytes(name) for name in names}
