"""The ``image-folder`` data source: the images of a folder, decoded as training goes.

Layouts (``data.path``):

* flat: the images directly in the folder; no labels;
* one subfolder per class, as torchvision's ``ImageFolder``: the images anywhere below each
  subfolder; the classes are the subfolders' names in sorted order, their numbers the ``labels``.

Names starting with ``.`` are skipped (``.DS_Store``, ``.ipynb_checkpoints``, ``._x.jpg``), as are
files whose extension is not an image's (``torchvision.datasets.folder.IMG_EXTENSIONS``).

The folder is scanned once, when the experiment is built, in sorted order, so that an example's
number (and so the data order of ``ganframe.data.RealBatches``) depends on the files alone. Each
image is checked cheaply then (PNG: its chunks' checksums; JPEG: its header and end marker; other
formats are decoded once); one that cannot be read is left out, and all of them are named in one
warning. An image is decoded only when a batch needs it: ``load_batches`` decodes ahead in
``workers`` processes (a ``torch.utils.data.DataLoader``), ``get`` in this process (reference
samples, and ``workers = 0``). Both decode the same way, with no randomness, so every batch is
the same bit for bit whoever decodes it, and a resumed run sees what an uninterrupted one saw.

Model space (what the networks see) is ``(channels, size, size)`` in [-1, 1]; data space (samples,
figures) is [0, 1], as for MNIST.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms.v2 import functional as TF

import ganframe
from ganframe.errors import ConfigError

from .configs import ImageFolderConfig

log = logging.getLogger("ganframe")
NAMED = 5  # unreadable images named in the warning (then a count)
REFERENCE_CHUNK = 256  # images per batch when reference samples are decoded in the workers
LAYOUTS = "put the images in it, or one subfolder of images per class"


def make_image_folder(config: ImageFolderConfig, context=None) -> ImageFolder:
    """Scan ``config.path``, leave out what cannot be read (one warning), and return the data set."""
    root = Path(config.path).expanduser()
    files, labels, class_names = scan(root, config.path)
    problems = [(path, problem) for path in files if (problem := check_image(path)) is not None]
    if len(problems) == len(files):
        raise ConfigError(
            f"none of the {len(files)} images in data.path {config.path!r} can be read: "
            f"{_named(problems, root)}; replace them"
        )
    if problems:
        bad = {path for path, _ in problems}
        kept = [index for index, path in enumerate(files) if path not in bad]
        files = [files[i] for i in kept]
        labels = [labels[i] for i in kept] if class_names else []
        left = set(labels)
        empty = [repr(name) for number, name in enumerate(class_names) if number not in left]
        log.warning(
            "image-folder: %d of %d images in %r cannot be read and are left out: %s%s",
            len(problems),
            len(problems) + len(files),
            config.path,
            _named(problems, root),
            f"; no image of class {', '.join(empty)} is left" if empty else "",
        )
    return ImageFolder(files, labels if class_names else None, class_names, config)


def scan(root: Path, shown: str) -> tuple[list[Path], list[int], tuple[str, ...]]:
    """``(image paths, their class numbers, class names)``, sorted; ``([...], [], ())`` for a flat folder.

    A missing path, an empty folder, one without images, a class folder without images, or loose
    images next to class folders is a ConfigError (``shown`` is the path as the config gives it).
    """
    if not shown.strip() or not root.exists():
        raise ConfigError(f"data.path {shown!r} does not exist; give a folder of images")
    if not root.is_dir():
        raise ConfigError(f"data.path {shown!r} is not a folder; {LAYOUTS}")
    entries = sorted(entry for entry in root.iterdir() if not entry.name.startswith("."))
    folders = [entry for entry in entries if entry.is_dir()]
    loose = [entry for entry in entries if entry.is_file() and _is_image(entry)]
    if not entries:
        raise ConfigError(f"data.path {shown!r} is an empty folder; {LAYOUTS}")
    if folders and loose:
        raise ConfigError(
            f"data.path {shown!r} mixes {len(loose)} images ({_listed(loose, root)}) with "
            f"{len(folders)} subfolders ({_listed(folders, root)}); put every image in a "
            "subfolder of its class, or none"
        )
    if not folders:
        if not loose:
            raise ConfigError(
                f"data.path {shown!r} has no images (files ending in {', '.join(IMG_EXTENSIONS)}) "
                f"and no subfolders; {LAYOUTS}"
            )
        return loose, [], ()
    files: list[Path] = []
    labels: list[int] = []
    for number, folder in enumerate(folders):
        found = _images_below(folder)
        if not found:
            raise ConfigError(
                f"class folder {folder.name!r} in data.path {shown!r} has no images; remove it or add images"
            )
        files += found
        labels += [number] * len(found)
    return files, labels, tuple(folder.name for folder in folders)


def check_image(path: Path) -> str | None:
    """Why ``path`` cannot be read as an image, or None when it can (checked cheaply, see the module)."""
    try:
        with Image.open(path) as image:
            image_format = image.format
            image.verify()  # PNG: every chunk's checksum; JPEG and others: little beyond the header
        if image_format == "PNG" or (image_format == "JPEG" and _ends_with_jpeg_marker(path)):
            return None
        with Image.open(path) as image:  # a JPEG cut short (no end marker), or another format: decode it
            image.load()
        return None
    except UnidentifiedImageError:
        return "not an image"
    except Exception as exc:  # truncated, corrupt, too large (PIL's decompression-bomb check)
        return _reason(exc)


def decode(path: str, size: int, channels: int) -> torch.Tensor:
    """The image at ``path`` as ``(channels, size, size)`` floats in [-1, 1]: upright (EXIF), grey or
    RGB, its shorter side resized to ``size`` (bilinear, antialiased), centre-cropped.

    An image that does not decode (it passed the cheap check) is a ConfigError naming it.
    """
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("L" if channels == 1 else "RGB")
        image = TF.resize(image, size, interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
        image = TF.center_crop(image, [size, size])
    except Exception as exc:
        raise ConfigError(f"image {path!r} cannot be decoded ({_reason(exc)}); remove it from data.path") from None
    x = TF.pil_to_tensor(image).float() / 255  # (C, size, size) in [0, 1]
    return (x - 0.5) / 0.5  # [-1, 1], as for MNIST


class ImageFolder(ganframe.Dataset):
    """The readable images of a folder: their paths in memory, their pixels decoded when asked for.

    ``labels`` (int64, one per image) and ``num_classes`` for a folder of class subfolders (None for a
    flat one); ``class_names[k]`` is the subfolder of class ``k``; ``files[i]`` is image ``i``.
    """

    def __init__(
        self,
        files: Sequence[Path],
        labels: Sequence[int] | None,
        class_names: tuple[str, ...],
        config: ImageFolderConfig,
    ) -> None:
        self.files = tuple(str(path) for path in files)
        self.size, self.channels, self.workers = config.size, config.channels, config.workers
        self.sample_shape = (config.channels, config.size, config.size)
        self.class_names = class_names
        self.labels = torch.tensor(labels, dtype=torch.int64) if labels is not None else None  # (N,)
        self.num_classes = len(class_names) if labels is not None else None

    def __len__(self) -> int:
        return len(self.files)

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        images = [decode(self.files[i], self.size, self.channels) for i in indices.tolist()]
        return torch.stack(images)  # (B, C, size, size)

    def load_batches(self, index_batches: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
        """Each batch decoded by ``workers`` processes, a few batches ahead (``get`` when ``workers = 0``)."""
        if self.workers == 0:
            yield from super().load_batches(index_batches)
            return
        loader = torch.utils.data.DataLoader(
            _Images(self.files, self.size, self.channels),
            batch_sampler=index_batches,  # type: ignore[arg-type]  # any iterable of index batches; the stub says lists
            num_workers=self.workers,
            collate_fn=_stack,
            worker_init_fn=_leave_stop_signals_to_the_trainer,
        )
        batches = iter(loader)  # starts the workers
        try:
            for batch in batches:
                if isinstance(batch, str):  # an image that passed the check but does not decode
                    raise ConfigError(batch)
                yield batch  # (B, C, size, size)
        finally:
            del batches  # the last reference: the DataLoader's iterator stops and joins its workers

    def reference_samples(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """As ``Dataset.reference_samples`` (the same random draw), decoded in the workers."""
        indices = torch.randperm(len(self), generator=generator)[: min(n, len(self))]
        batches = self.load_batches(iter(indices.split(REFERENCE_CHUNK)))
        return self.to_data_space(torch.cat(list(batches)))  # (n, C, size, size)

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) / 2).clamp(0, 1)


class _Images(torch.utils.data.Dataset):
    """One decoded image per index, for the DataLoader's workers (paths and sizes only: cheap to send).

    A failure comes back as its one-line message, not as an exception, so that the error the user
    sees is that line rather than a worker's traceback.
    """

    def __init__(self, files: tuple[str, ...], size: int, channels: int) -> None:
        self.files, self.size, self.channels = files, size, channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor | str:
        try:
            return decode(self.files[index], self.size, self.channels)  # (C, size, size)
        except ConfigError as exc:
            return str(exc)


def _stack(items: list[torch.Tensor | str]) -> torch.Tensor | str:
    """A batch ``(B, C, size, size)``, or the first failure's message (runs in the workers)."""
    failures = [item for item in items if isinstance(item, str)]
    return failures[0] if failures else torch.stack(items)  # type: ignore[arg-type]


def _leave_stop_signals_to_the_trainer(worker: int) -> None:
    """In a worker: ignore Ctrl-C, SIGTERM and SIGHUP, which a terminal sends every process of the run.

    A forked worker inherits ganframe's handlers, which would announce the stop once more per worker
    (or quit the worker while the round still needs batches); the training process stops them instead.
    """
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMG_EXTENSIONS


def _images_below(folder: Path) -> list[Path]:
    """The image files anywhere below ``folder`` (following links, as ImageFolder), sorted, hidden ones skipped."""
    found = []
    for directory, subdirectories, names in os.walk(folder, followlinks=True):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        found += [Path(directory, name) for name in names if not name.startswith(".") and _is_image(Path(name))]
    return sorted(found)


def _ends_with_jpeg_marker(path: Path) -> bool:
    """Whether the file's last two bytes are JPEG's end-of-image marker (a cut-short file lacks it)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() < 2:
            return False
        handle.seek(-2, os.SEEK_END)
        return handle.read(2) == b"\xff\xd9"


def _reason(exc: Exception) -> str:
    """'OSError: image file is truncated': the exception on one line."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _named(problems: list[tuple[Path, str]], root: Path) -> str:
    """'a.png (reason), b.jpg (reason), ... and N more'."""
    named = [f"{path.relative_to(root)} ({reason})" for path, reason in problems[:NAMED]]
    more = f" and {len(problems) - NAMED} more" if len(problems) > NAMED else ""
    return ", ".join(named) + more


def _listed(paths: list[Path], root: Path) -> str:
    """'a, b, c, ...': the first few names."""
    names = [str(path.relative_to(root)) for path in paths[:3]]
    return ", ".join(names) + (", ..." if len(paths) > 3 else "")
