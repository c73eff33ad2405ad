"""The ``image-folder`` data source: layouts, decoding, unreadable images, errors, workers that give
the same batches as decoding in this process, and a command-line run that resumes bit for bit."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from ganframe_images.configs import ImageFolderConfig
from ganframe_images.folder import ImageFolder, make_image_folder
from PIL import Image

import ganframe
from ganframe import ConfigError
from ganframe.data import RealBatches

MODES = ("L", "RGB", "RGBA", "P", "LA")


def write_images(folder: Path, n: int, seed: int, prefix: str = "") -> list[Path]:
    """``n`` small random images of mixed sizes and modes, PNG and JPEG, in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(n):
        height, width = (int(side) for side in rng.integers(6, 40, 2))
        image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(MODES[index % 5])
        jpeg = index % 3 == 0 and image.mode in ("L", "RGB")
        path = folder / f"{prefix}{index:03d}.{'jpg' if jpeg else 'png'}"
        image.save(path)
        paths.append(path)
    return paths


def folder_of(path: Path, **options) -> ImageFolder:
    return make_image_folder(ImageFolderConfig(path=str(path), **options))


def draws(data: ImageFolder, sequence: list[int], *, rank: int = 0, world_size: int = 1) -> list[torch.Tensor]:
    """The batches of 4 of ``sequence`` from one RealBatches (closed afterwards)."""
    batches = RealBatches(
        data,
        batch_size=4,
        seed=3,
        rank=rank,
        world_size=world_size,
        generator=torch.Generator(),
        device=torch.device("cpu"),
    )
    try:
        return [batches.batch(draw) for draw in sequence]
    finally:
        batches.close()


@pytest.fixture
def classes(tmp_path) -> Path:
    """``b-dogs`` (12 images, 3 of them in a nested folder) and ``a-cats`` (9), with files to skip."""
    root = tmp_path / "classes"
    write_images(root / "b-dogs", 9, seed=1)
    write_images(root / "b-dogs" / "puppies", 3, seed=2)
    write_images(root / "a-cats", 9, seed=3)
    (root / "a-cats" / "notes.txt").write_text("not an image")
    (root / "a-cats" / ".hidden.png").write_bytes(b"skipped: hidden")
    (root / ".ipynb_checkpoints").mkdir()
    return root


def test_a_flat_folder_of_grey_images(tmp_path):
    write_images(tmp_path / "flat", 14, seed=0)
    data = folder_of(tmp_path / "flat", size=16, channels=1)
    assert len(data) == 14 and data.sample_shape == (1, 16, 16)
    assert data.labels is None and data.num_classes is None and data.class_names == ()
    x = data.get(torch.arange(14))
    assert x.shape == (14, 1, 16, 16) and x.dtype == torch.float32 and -1 <= x.min() and x.max() <= 1
    samples = data.reference_samples(5, torch.Generator().manual_seed(0))
    assert samples.shape == (5, 1, 16, 16) and 0 <= samples.min() and samples.max() <= 1
    assert torch.equal(samples, ganframe.Dataset.reference_samples(data, 5, torch.Generator().manual_seed(0)))


def test_pixels_are_scaled_to_minus_one_one_after_resizing_the_shorter_side_and_cropping_the_centre(tmp_path):
    folder = tmp_path / "exact"
    folder.mkdir()
    wide = np.zeros((16, 48, 3), dtype=np.uint8)
    wide[:, 16:32] = 255  # the middle third white: all that the centre crop keeps
    Image.fromarray(wide).save(folder / "a-wide.png")
    Image.new("L", (5, 9), 0).save(folder / "b-black.png")  # grown to 16 wide, 28 high, then cropped
    Image.new("RGB", (30, 20), (255, 0, 51)).save(folder / "c-red.png")
    x = folder_of(folder, size=16).get(torch.arange(3))  # (3, 3, 16, 16)
    assert torch.equal(x[0], torch.ones(3, 16, 16)) and torch.equal(x[1], -torch.ones(3, 16, 16))
    assert x[2, :, 0, 0].tolist() == [1.0, -1.0, ((torch.tensor(51.0) / 255 - 0.5) / 0.5).item()]
    assert torch.equal(x[2], x[2, :, :1, :1].expand(3, 16, 16))


def test_one_subfolder_per_class_gives_labels(classes):
    data = folder_of(classes, size=8)
    assert data.class_names == ("a-cats", "b-dogs") and data.num_classes == 2
    assert len(data) == 21 and data.sample_shape == (3, 8, 8)
    assert data.labels.dtype == torch.int64 and data.labels.tolist() == [0] * 9 + [1] * 12
    assert all(
        Path(path).relative_to(classes).parts[0] == data.class_names[label]
        for path, label in zip(data.files, data.labels.tolist())
    )
    assert sum("puppies" in path for path in data.files) == 3
    assert data.files == tuple(sorted(data.files))  # scanned in sorted order: example numbers follow the files


def test_unreadable_images_are_left_out_and_named_in_one_warning(tmp_path, caplog):
    root = tmp_path / "some-bad"
    good = write_images(root, 12, seed=0)
    (root / "zz-text.png").write_bytes(b"this is no image")
    (root / "zz-empty.jpg").write_bytes(b"")
    png = good[1].read_bytes()
    (root / "zz-cut.png").write_bytes(png[: len(png) // 2])
    jpeg = good[0].read_bytes()
    (root / "zz-cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    caplog.set_level(logging.WARNING, logger="ganframe")
    data = folder_of(root, size=8)
    assert len(data) == 12 and not any("zz-" in path for path in data.files)
    (record,) = caplog.records
    message = record.getMessage()
    assert "\n" not in message and "4 of 16 images" in message
    assert all(name in message for name in ("zz-text.png", "zz-empty.jpg", "zz-cut.png", "zz-cut.jpg"))


def test_the_warning_names_the_first_few_and_counts_the_rest(classes, caplog):
    for index in range(8):
        (classes / "a-cats" / f"broken-{index}.png").write_bytes(b"\x89PNG broken")
    caplog.set_level(logging.WARNING, logger="ganframe")
    data = folder_of(classes, size=8)
    assert len(data) == 21
    (record,) = caplog.records
    assert "8 of 29 images" in record.getMessage() and record.getMessage().endswith("and 3 more")


def test_a_class_with_no_readable_image_left_is_said_in_the_warning(classes, caplog):
    for path in (classes / "a-cats").glob("*.*"):
        path.write_bytes(b"broken")
    caplog.set_level(logging.WARNING, logger="ganframe")
    data = folder_of(classes, size=8)
    assert data.num_classes == 2 and set(data.labels.tolist()) == {1}
    assert "no image of class 'a-cats' is left" in caplog.records[0].getMessage()


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Folders that are no image data set, each with words its error must say."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "no-images").mkdir()
    (tmp_path / "no-images" / "readme.txt").write_text("hello")
    (tmp_path / "corrupt").mkdir()
    for index in range(7):
        (tmp_path / "corrupt" / f"{index}.png").write_bytes(b"garbage")
    write_images(tmp_path / "mixed", 3, seed=0)
    write_images(tmp_path / "mixed" / "cats", 3, seed=1)
    write_images(tmp_path / "empty-class" / "cats", 3, seed=1)
    (tmp_path / "empty-class" / "dogs").mkdir()
    (tmp_path / "a-file.png").write_bytes(b"")
    return {
        "missing": (tmp_path / "nowhere", "does not exist"),
        "a file": (tmp_path / "a-file.png", "is not a folder"),
        "empty": (tmp_path / "empty", "is an empty folder"),
        "no images": (tmp_path / "no-images", "has no images"),
        "all corrupt": (tmp_path / "corrupt", "none of the 7 images"),
        "mixed": (tmp_path / "mixed", "mixes 3 images"),
        "empty class": (tmp_path / "empty-class", "class folder 'dogs'"),
    }


@pytest.mark.parametrize("case", ["missing", "a file", "empty", "no images", "all corrupt", "mixed", "empty class"])
def test_what_is_no_image_folder_is_one_clear_config_error(tmp_path, case):
    path, words = bad_inputs(tmp_path)[case]
    with pytest.raises(ConfigError) as error:
        folder_of(path)
    message = str(error.value)
    assert words in message and str(path) in message and "\n" not in message, message


@pytest.mark.parametrize("world_size", [1, 2])
def test_workers_give_the_batches_of_this_process_bit_for_bit_and_stop_when_closed(classes, world_size):
    (classes / "a-cats" / "bad.png").write_bytes(b"bad")
    synchronous, decoded_ahead = folder_of(classes, size=12, workers=0), folder_of(classes, size=12, workers=2)
    sequence = list(range(7))  # 21 images: 5 (or 2) full global batches per epoch, so this crosses epochs
    for rank in range(world_size):
        expected = draws(synchronous, sequence, rank=rank, world_size=world_size)
        got = draws(decoded_ahead, sequence, rank=rank, world_size=world_size)
        assert all(torch.equal(a, b) for a, b in zip(expected, got)) and len(got) == 7
        assert not multiprocessing.active_children()  # the workers have stopped
    resumed = draws(decoded_ahead, [5, 6, 2, 3])  # a resumed run's first draw, then one out of order
    assert all(torch.equal(a, b) for a, b in zip(resumed, draws(synchronous, [5, 6, 2, 3])))


def test_a_conditional_run_streams_through_the_workers_with_the_right_labels(classes):
    # conditional = true joins each example with its one-hot label; the decoding stays in the workers
    from ganframe.conditional import JoinedLabels

    synchronous = JoinedLabels(folder_of(classes, size=12, workers=0), 2)
    decoded_ahead = JoinedLabels(folder_of(classes, size=12, workers=2), 2)
    calls = []
    decoded_ahead.get = lambda indices: calls.append(indices)  # must not be used while streaming
    sequence = [0, 1, 2, 3, 4, 5, 6, 2, 3]
    expected, got = draws(synchronous, sequence), draws(decoded_ahead, sequence)
    assert all(torch.equal(a, b) for a, b in zip(expected, got)) and len(got) == len(sequence) and not calls
    assert not multiprocessing.active_children()


def test_an_image_that_stops_decoding_during_training_is_one_line_naming_it(tmp_path):
    paths = write_images(tmp_path / "flat", 8, seed=0)
    for workers in (0, 2):
        data = folder_of(tmp_path / "flat", size=8, workers=workers)
        for path in paths:
            path.rename(path.with_suffix(".gone"))
        with pytest.raises(
            ConfigError, match=r"^image '.*' cannot be decoded \(FileNotFoundError: .*\); remove"
        ) as error:
            draws(data, [0])
        assert "\n" not in str(error.value)
        for path in paths:
            path.with_suffix(".gone").rename(path)
    assert not multiprocessing.active_children()


def test_conditional_training_reads_the_class_labels(classes):
    experiment = ganframe.Experiment.from_dict(
        {
            "seed": 0,
            "device": "cpu",
            "conditional": True,
            "data": {"name": "image-folder", "path": str(classes), "size": 8, "workers": 0},
            "noise": {"name": "normal", "dim": 4},
            "generator": {"name": "mlp", "hidden": [8], "output_activation": "tanh"},
            "discriminator": {"name": "mlp", "hidden": [8]},
            "train": {"steps": 3, "batch_size": 4},
            "evaluation": {"metrics": []},
        }
    )
    experiment.fit()
    samples = experiment.sample(2, labels=[0, 1])
    assert samples.shape == (2, 3, 8, 8) and 0 <= samples.min() and samples.max() <= 1


# -- the command line ------------------------------------------------------------------------------

CONFIG = """\
seed = 0
device = "cpu"
[data]
name = "image-folder"
path = "{path}"
size = 16
workers = 2
[noise]
name = "normal"
dim = 4
[generator]
name = "mlp"
hidden = [16]
output_activation = "tanh"
[discriminator]
name = "mlp"
hidden = [16]
[train]
steps = 10
batch_size = 8
log_every = 2
checkpoint_every = 2
[evaluation]
metrics = []
"""


def ganframe_cli(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ganframe", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={name: value for name, value in os.environ.items() if name != "GANFRAME_DISABLE_PLUGINS"},
    )


def processes_naming(text: str) -> list[str]:
    """Command lines of running processes that contain ``text`` (workers outliving their run)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if text in line:
            found.append(line)
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="looks for leftover processes in /proc")
def test_a_run_with_workers_resumes_bit_for_bit_and_leaves_no_process_behind(classes, tmp_path):
    (classes / "b-dogs" / "bad.jpg").write_bytes(b"bad")  # 21 good images: 2 batches of 8 per epoch
    config = tmp_path / "images.toml"
    config.write_text(CONFIG.format(path=classes))
    whole, split = tmp_path / "whole", tmp_path / "split"
    done = [
        ganframe_cli("train", "--config", config, "--out", whole, "--quiet", cwd=tmp_path),
        ganframe_cli("train", "--config", config, "--out", split, "--steps", "5", "--quiet", cwd=tmp_path),
        ganframe_cli("train", "--resume", split, "--steps", "10", "--quiet", cwd=tmp_path),
    ]  # resumes mid-epoch
    for result in done:
        assert result.returncode == 0, result.stderr
    assert not processes_naming(str(tmp_path))
    warnings = [line for line in done[0].stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("ganframe: warning: image-folder: 1 of 22 images")
    assert "b-dogs/bad.jpg" in warnings[0]
    assert (whole / "report.html").is_file() and (split / "report.html").is_file()
    a, b = (torch.load(run / "checkpoints" / "last.pt", weights_only=True) for run in (whole, split))
    assert a["step"] == b["step"] == a["real_draws"] == b["real_draws"] == 10
    for role in a["networks"]:
        for name, value in a["networks"][role].items():
            assert torch.equal(value, b["networks"][role][name]), (role, name)
        for index, state in a["optimizers"][role]["state"].items():
            for name, value in state.items():
                assert torch.equal(value, b["optimizers"][role]["state"][index][name]), (role, index, name)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="looks for leftover processes in /proc")
def test_ctrl_c_to_every_process_of_a_run_stops_it_once_and_its_workers_with_it(classes, tmp_path):
    config = tmp_path / "images.toml"
    config.write_text(CONFIG.format(path=classes))
    run = tmp_path / "stopped"
    process = subprocess.Popen(  # its own process group, with default signal handling, as in a terminal
        [
            sys.executable,
            "-m",
            "ganframe",
            "train",
            "--config",
            str(config),
            "--out",
            str(run),
            "--steps",
            "1000000",
            "--progress-every",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while "steps/s" not in process.stderr.readline():  # training (and so its workers) runs
        assert process.poll() is None and time.monotonic() < deadline, "no progress line"
    running = processes_naming(str(run))  # the run and, forked with its command line, its two workers
    assert len(running) == 3 or multiprocessing.get_start_method() != "fork", running
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: every process of the group
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.count("SIGINT: stopping after this round") == 1 and "Traceback" not in err, err
    assert err.splitlines()[-1].startswith("ganframe: stopped at step ")
    assert not processes_naming(str(run))


def test_a_missing_folder_on_the_command_line_is_one_error_line(tmp_path):
    config = tmp_path / "images.toml"
    config.write_text(CONFIG.format(path=tmp_path / "nowhere"))
    result = ganframe_cli("train", "--config", config, "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 2
    expected = f"ganframe: error: data.path '{tmp_path / 'nowhere'}' does not exist; give a folder of images"
    assert result.stderr.splitlines() == [expected]


def test_the_example_config_trains_on_a_folder(tmp_path):
    # examples/image-folder.toml, as README runs it, on a small folder of RGB images
    write_images(tmp_path / "my-images", 70, seed=1)
    example = Path(__file__).parents[3] / "examples" / "image-folder.toml"
    result = ganframe_cli(
        "train",
        "--config",
        example,
        "--steps",
        "3",
        "--set",
        "data.size=16",
        "--set",
        "train.batch_size=16",
        "--out",
        tmp_path / "run",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "report.html").is_file()
    assert json.loads((tmp_path / "run" / "report.json").read_text())["steps"] == 3


def test_the_readme_commands_run_as_written(tmp_path):
    # README's "Your own images": its command that makes a folder, then its training command
    # (shortened to 3 rounds)
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme[readme.index("## Your own images") : readme.index("## InfoGAN on MNIST")]
    commands = [line[2:] for line in section.splitlines() if line.startswith("$ ")]
    assert len(commands) == 2 and commands[1] == "ganframe train --config examples/image-folder.toml"
    shutil.copytree(Path(__file__).parents[3] / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    made = subprocess.run(
        commands[0], shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert made.returncode == 0, made.stderr
    assert len(list((tmp_path / "my-images").glob("*.png"))) == 256
    trained = subprocess.run(
        f"{commands[1]} --steps 3 --quiet --out run",
        shell=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "run" / "report.html").is_file()
