"""The ``ganframe`` command (also ``python -m ganframe``).

Bad input — an unknown setup, a bad ``--set``, a missing run directory, an unwritable output — is
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import stopping
from .errors import ConfigError, DivergedError, GanframeError, RunDirectoryError

EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # a run stopped by a plugin; a signal gives 128 + its number (SIGTERM: 143)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        # "ganframe: error:" for every command, as every other error; the command's help is named
        sys.stderr.write(f"ganframe: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ganframe", description="Train generative adversarial networks from plugins.")
    parser.add_argument("--version", action="version", version=f"ganframe {_version()}")
    parser.add_argument(
        "--disable-plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="do not load this plugin (repeatable; also GANFRAME_DISABLE_PLUGINS=a,b)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what ganframe does (to stderr)")
    # -v also works after the command: ganframe train gaussian -v
    common = _Parser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log what ganframe does (to stderr)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def add_command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], **kwargs)

    add_command("plugins", help="list loaded plugins, what they register, and broken ones")

    listing = add_command("list", help="list registered components by kind")
    listing.add_argument("kind", nargs="?", help="one kind, e.g. setups, generators, losses")

    show = add_command("show", help="show a component's options or a setup's presets")
    show.add_argument("kind", help="its kind, as 'ganframe list' names them: generator, loss, data-source, setup...")
    show.add_argument("name", help="its name, or PLUGIN:NAME when two plugins registered that name")

    new_plugin = add_command("new-plugin", help="write ganframe-NAME/, a new plugin package to start from")
    new_plugin.add_argument("name", help="the plugin's name: lower-case letters, digits and '-', e.g. demo-gan")
    new_plugin.add_argument(
        "--dir",
        type=Path,
        default=Path("."),
        help="the folder to write ganframe-NAME into (default: the current folder)",
    )

    train = add_command("train", help="train a setup (or a config file) and write a run directory")
    train.add_argument("setup", nargs="?", help="setup name, e.g. gaussian (see 'ganframe list setups')")
    train.add_argument("--preset", help="preset of the setup (its default preset when left out)")
    train.add_argument("--steps", type=int, help="training rounds (train.steps)")
    train.add_argument("--seed", type=int, help="the one seed everything random flows from")
    train.add_argument(
        "--seeds",
        metavar="LIST",
        help="one run per seed, e.g. 0-4 or 0,3,7, into OUT/seed-N, "
        "with a summary over seeds (OUT/summary.json, OUT/report.html)",
    )
    train.add_argument("--device", help="cpu, cuda, cuda:N or auto")
    train.add_argument("--out", type=Path, help="run directory to create (default: runs/SETUP-PRESET-sSEED-TIME)")
    train.add_argument("--config", type=Path, help="TOML config file, applied on top of the setup's preset")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set generator.hidden=[64,64] (repeatable)",
    )
    train.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue a run from its last checkpoint")
    train.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no metrics summary (the run directory is still printed)",
    )
    train.add_argument(
        "--progress-every",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="when stderr is not a terminal, a progress line this often (default 30; 0: none)",
    )

    sample = add_command("sample", help="write generated samples of a trained run to a file")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("-n", type=int, required=True, help="number of samples")
    sample.add_argument("-o", "--output", type=Path, required=True, help="FILE.npy, FILE.pt or FILE.png")
    sample.add_argument("--seed", type=int, help="sampling seed (default: the run's seed)")
    sample.add_argument("--label", type=int, help="class of every sample (conditional runs; default: uniform)")
    sample.add_argument("--device", help="cpu, cuda, cuda:N or auto")

    evaluate = add_command("evaluate", help="compute the setup's metrics on fresh samples")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--samples", type=int, help="number of samples (default: the config's)")
    evaluate.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="compute this metric instead of the run's (repeatable; e.g. two-sample)",
    )
    evaluate.add_argument("--device", help="cpu, cuda, cuda:N or auto")

    sweep = add_command("sweep", help="search hyperparameters with Optuna over a sweep file (needs ganframe[sweep])")
    sweep.add_argument(
        "sweep_file", type=Path, metavar="SWEEP.toml", help="the sweep: setup or config, space, objective"
    )
    sweep.add_argument("--out", type=Path, help="the sweep directory (default: sweeps/NAME)")
    sweep.add_argument(
        "--storage",
        metavar="URL",
        help="an Optuna storage shared by several sweeps "
        "(sqlite:///FILE, postgresql://..., journal:FILE; default: sqlite in the sweep directory)",
    )
    sweep.add_argument("--jobs", type=int, default=1, metavar="N", help="trials at once, in N local processes")
    sweep.add_argument("--trials", type=int, metavar="N", help="total trials of the study (default: the file's)")

    report = add_command("report", help="write a run's report.html (figures, metrics, config) again")
    report.add_argument("run_dir", type=Path, help="a run directory, or the directory of a --seeds run")
    report.add_argument("-o", "--output", type=Path, help="the HTML file (default: RUN_DIR/report.html)")
    return parser


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, at least 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds of at least 0, got {text!r}")
    return value


def run() -> NoReturn:
    """The ``ganframe`` program (its console script and ``python -m ganframe``): :func:`main`, then
    :func:`exit_promptly`. Call :func:`main` to run a command inside a Python process of your own."""
    exit_promptly(main())


def exit_promptly(status: int) -> NoReturn:
    """End the program with ``status``, without tearing the interpreter down when PyTorch is loaded.

    Freeing PyTorch's modules at exit takes about a second (measured by ``benchmarks/startup.py``),
    every time a command has trained or sampled. Nothing is lost by skipping it: the threads a
    plugin left running are waited for, ``atexit`` functions run, standard streams and every file
    still open are flushed, as a normal exit would; only the teardown itself is skipped.
    """
    if "torch" not in sys.modules:  # nothing slow to skip: the usual exit
        raise SystemExit(status)
    try:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()  # logging.shutdown, temporary files, plugins' own handlers
        _flush_open_files()
    finally:
        os._exit(status)


def _flush_open_files() -> None:
    """Flush every open Python file object (the interpreter's teardown would close them)."""
    import gc
    import io

    kinds = (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)
    for handle in [obj for obj in gc.get_objects() if type(obj) in kinds]:  # type(): no property lookups
        with contextlib.suppress(Exception):  # closed, or a pipe whose reader is gone
            if not handle.closed:
                handle.flush()


def main(argv: Sequence[str] | None = None) -> int:
    # Ctrl-C, SIGTERM and SIGHUP at any moment end the command with one line (see ganframe.stopping).
    stopping.forget_received()
    with stopping.handling(stopping.raise_terminated), _printable_paths():
        try:
            args = build_parser().parse_args(argv)
            with _console_logging(args.verbose):
                return _run(args)
        except KeyboardInterrupt as exc:
            return _interrupted(exc)


@contextlib.contextmanager
def _printable_paths():
    """A path given as bytes that are not UTF-8 (``run-\\xff``) is printed back as those bytes, as
    the shell gave it, instead of failing to encode."""
    changed = []  # the streams' reconfigure methods
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        errors = getattr(stream, "errors", None)
        if reconfigure is not None and errors == "strict":
            try:
                reconfigure(errors="surrogateescape")
                changed.append(reconfigure)
            except (ValueError, OSError):
                pass
    try:
        yield
    finally:
        for reconfigure in changed:
            try:
                reconfigure(errors="strict")
            except (ValueError, OSError):
                pass


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except Exception as exc:
        signum = stopping.received()
        if signum is not None:  # an error out of work a stop signal cut short (an import inside C code)
            return _interrupted(stopping.Terminated(signum))
        return _failed(exc)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)


def _failed(exc: Exception) -> int:
    """One line for a command that failed with ``exc``, and its exit status."""
    try:
        raise exc
    except DivergedError as exc:
        _error(str(exc))
        return EXIT_DIVERGED
    except GanframeError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `ganframe list | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # the file system said no: a path too long, a full disk, no permission
        if os.environ.get("GANFRAME_TRACEBACK"):
            raise
        where = f" {str(exc.filename)!r}" if exc.filename else ""
        _error(f"cannot use{where}: {exc.strerror or exc}")
        return EXIT_USAGE
    except Exception as exc:  # a bug, in ganframe or a plugin: one line, traceback on request
        if os.environ.get("GANFRAME_TRACEBACK"):
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (set GANFRAME_TRACEBACK=1 to see where)")
        return 1


def _how_to_continue(run_dir: Path | None) -> str:
    """What to tell after an interruption: how to continue a run that has a checkpoint."""
    if run_dir is None:
        return ""
    from . import checkpoint

    try:
        if checkpoint.exists(Path(run_dir)):
            return f"; the checkpoint is kept: continue with: ganframe train --resume {run_dir}"
    except OSError:
        pass
    return ""


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One line for a command ended by a signal (Ctrl-C: KeyboardInterrupt); 128 + the signal's number."""
    signum = exc.signum if isinstance(exc, stopping.Terminated) else signal.SIGINT
    note = exc.note if isinstance(exc, stopping.Terminated) else ""
    _error(f"interrupted ({stopping.signal_name(signum)}){note}")
    return stopping.exit_status(signum)


@contextlib.contextmanager
def _console_logging(verbose: bool):
    """While a command runs, warnings reach the terminal; with --verbose, what ganframe does too
    (above the progress bar while there is one: see progress.ProgressBar)."""
    logger = logging.getLogger("ganframe")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LevelFormatter())
    level = logger.level
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _LevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        return f"ganframe: {level}{record.getMessage()}"


def _error(message: str) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    try:
        sys.stderr.write(f"ganframe: error: {first_line}\n")
    except (OSError, ValueError):  # no terminal left (SIGHUP) or stderr closed: nowhere to say it
        pass


def _version() -> str:
    from . import __version__

    return __version__


def _plugins(args: argparse.Namespace, warn: bool = True):
    from .plugins import load_plugins

    plugins = load_plugins(args.disable_plugin)
    if warn:
        for info in plugins.broken:
            sys.stderr.write(
                f"ganframe: warning: plugin {info.name!r} is not loaded: {info.error} (see 'ganframe plugins')\n"
            )
        for name in sorted(plugins.unmatched_disabled):
            sys.stderr.write(
                f"ganframe: warning: cannot disable {name!r}: no plugin has that name (see 'ganframe plugins')\n"
            )
    return plugins


# -- plugins / list -------------------------------------------------------------------------------
def cmd_plugins(args: argparse.Namespace) -> int:
    from .registry import SINGULAR

    plugins = _plugins(args, warn=False)
    owned = plugins.registry.by_plugin()
    for info in plugins.infos:
        origin = f"{info.distribution} {info.version}" if info.distribution else "(not installed)"
        print(f"{info.name}  [{origin}]")
        if info.broken:
            print(f"    BROKEN: {info.error}")
            continue
        for kind, name in owned.get(info.name, []):
            print(f"    {SINGULAR[kind]}: {name}")
        hooks = _lifecycle_hooks(plugins.manager, info.name)
        if hooks:
            print(f"    hooks: {', '.join(hooks)}")
    for (kind, name), names in plugins.registry.conflicts().items():
        print(f"CONFLICT: {SINGULAR[kind]} {name!r} is registered by {', '.join(names)}")
    if plugins.disabled - plugins.unmatched_disabled:
        print(f"disabled: {', '.join(sorted(plugins.disabled - plugins.unmatched_disabled))}")
    if plugins.unmatched_disabled:
        print(f"asked to disable, but no plugin has that name: {', '.join(sorted(plugins.unmatched_disabled))}")
    return 0


def _kind(word: str) -> str:
    """The kind that ``word`` names: a kind (``losses``) or one of it (``loss``, ``data-source``)."""
    from .errors import UnknownNameError
    from .registry import KIND_HOOKS, SINGULAR

    kinds = list(KIND_HOOKS)
    aliases = {**{k: k for k in kinds}, **{SINGULAR[k].replace(" ", "-"): k for k in kinds}}
    if word not in aliases:
        raise UnknownNameError("kind", word, kinds)
    return aliases[word]


def _lifecycle_hooks(manager, plugin_name: str) -> list[str]:
    """The hooks other than registration hooks that a loaded plugin implements, in hookspec order."""
    plugin = manager.get_plugin(plugin_name)
    if plugin is None:
        return []
    return [caller.name for caller in manager.get_hookcallers(plugin) or [] if not caller.name.startswith("register_")]


def cmd_list(args: argparse.Namespace) -> int:
    from .registry import KIND_HOOKS

    plugins = _plugins(args)
    kinds = [_kind(args.kind)] if args.kind is not None else list(KIND_HOOKS)
    for kind in kinds:
        print(f"{kind}:")
        for entry in plugins.registry.entries(kind):
            extra = ""
            if kind == "setups":
                names = [f"{p} (used by default)" if p == entry.default_preset else p for p in entry.presets]
                extra = f"  presets: {', '.join(names)}"
            description = f"  {entry.description}" if entry.description else ""
            print(f"  {entry.name}  [{entry.plugin}]{description}{extra}")
    return 0


# -- show ---------------------------------------------------------------------------------------
#: Where a component of each kind takes its options in a config (``--set SECTION.OPTION=VALUE``).
OPTION_SECTIONS = {
    "data-sources": "data",
    "noise": "noise",
    "generators": "generator",
    "discriminators": "discriminator",
    "losses": "loss",
    "strategies": "strategy",
    "optimizers": "ROLE.optimizer",
    "networks": "networks.ROLE",
}
SHOW_WIDTH = 100  # descriptions are wrapped to this many characters


def cmd_show(args: argparse.Namespace) -> int:
    from .registry import Setup

    kind = _kind(args.kind)
    entry = _plugins(args).registry.get(kind, args.name)
    if isinstance(entry, Setup):
        _show_setup(entry)
    else:
        _show_component(entry)
    return 0


def _show_component(component) -> None:
    import textwrap

    from .options import REQUIRED, describe_options
    from .registry import SINGULAR

    description = f"  {component.description}" if component.description else ""
    print(f"{SINGULAR[component.kind]} {component.name}  [{component.plugin}]{description}")
    options = describe_options(component.config)
    if not options:
        print("takes no options")
        return
    doc = (component.config.__doc__ or "").strip().split("\n\n")[0]  # its first paragraph
    if doc:
        print(textwrap.fill(" ".join(doc.replace("``", "").split()), SHOW_WIDTH))
    section = OPTION_SECTIONS.get(component.kind)
    where = f" (set in [{section}] or with --set {section}.OPTION=VALUE)" if section else ""
    if component.kind == "network-extras":
        where = (
            f' (set as {{ name = "{component.name}", OPTION = VALUE }} in the extras of a network, '
            "e.g. discriminator.extras)"
        )
    print(f"options{where}:")
    indent = " " * 6
    for option in options:
        default = f"  {REQUIRED}" if option.required else f" = {option.default}"
        constraint = f"  ({option.constraint})" if option.constraint else ""
        print(f"  {option.name}: {option.type}{default}{constraint}")
        if option.description:
            print(textwrap.fill(option.description, SHOW_WIDTH, initial_indent=indent, subsequent_indent=indent))


def _show_setup(setup) -> None:
    from .config import COMPONENT_SECTIONS, NETWORKS, TrainConfig

    description = f"  {setup.description}" if setup.description else ""
    print(f"setup {setup.name}  [{setup.plugin}]{description}")
    print("presets:")
    for name, preset in setup.presets.items():
        parts = []
        for section, (_, default) in COMPONENT_SECTIONS.items():
            if section != "noise":
                parts.append(f"{section} {_component_name(preset.get(section), default)}")
        roles = preset.get(NETWORKS)
        if isinstance(roles, Mapping):
            parts += [f"networks.{role} {_component_name(table, None)}" for role, table in roles.items()]
        train = preset.get("train")
        steps = train.get("steps", TrainConfig().steps) if isinstance(train, Mapping) else TrainConfig().steps
        parts.append(f"train.steps {steps}")
        print(f"  {name}{' (used by default)' if name == setup.default_preset else ''}")
        print(f"      {', '.join(parts)}")
    print(f"train one with: ganframe train {setup.name} --preset PRESET")


def _component_name(table: Any, default: str | None) -> str:
    """The component a preset's section names: ``"mlp"`` or ``{name = "mlp", ...}``; left out, the default."""
    name = table.get("name", default) if isinstance(table, Mapping) else (table if table is not None else default)
    return str(name) if name is not None else "(none)"


# -- new-plugin ---------------------------------------------------------------------------------
def cmd_new_plugin(args: argparse.Namespace) -> int:
    from .scaffold import plugin_files, write_plugin

    package = write_plugin(args.name, args.dir)
    shown = str(package) if package.is_absolute() or str(package).startswith(".") else f"./{package}"
    print(f"wrote the plugin package {shown}:")
    for relative in plugin_files(args.name):
        print(f"  {package / relative}")
    print("next, in the environment where ganframe is installed:")
    print(f"  pip install -e {shown}")
    print(f"  ganframe train {args.name}")
    print(f"  python -m pytest {shown}/tests")
    return 0


# -- train --------------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    from . import distributed
    from .config import parse_override

    overrides = dict(parse_override(item) for item in args.set)
    if args.steps is not None and args.steps < 1:
        raise ConfigError(f"--steps must be positive, got {args.steps}")
    _check_seed("--seed", args.seed)
    seeds = None
    if args.seeds is not None:
        from .summary import parse_seeds

        seeds = parse_seeds(args.seeds)
        if args.seed is not None or args.resume is not None or "seed" in overrides:
            raise ConfigError("--seeds runs one experiment per seed: leave out --seed, --resume and --set seed=...")
    context = distributed.initialise(args.device or "auto")
    try:
        plugins = _plugins(args, warn=context.is_main)
        if seeds is not None:
            return _train_seeds(args, seeds, overrides, plugins, context)
        if args.resume is not None:
            if args.setup or args.config or args.set or args.preset is not None or args.seed is not None or args.out:
                raise ConfigError(
                    "--resume continues a run as it was configured; only --steps, --device "
                    "and --quiet may be given with it"
                )
            from .experiment import Experiment

            run_dir = args.resume
            experiment = Experiment.load(
                run_dir,
                device=args.device,
                steps=args.steps,
                plugins=plugins,
                callbacks=_console_callbacks(args, context.is_main),
                before_first_checkpoint=True,
            )
            if experiment.step >= experiment.config.train.steps and _reported(run_dir, experiment.step):
                raise ConfigError(
                    f"the run in {str(run_dir)!r} already finished {experiment.step} steps; "
                    "pass a larger --steps to train it further"
                )
        else:
            experiment = _new_experiment(args, overrides, args.seed, plugins, _console_callbacks(args, context.is_main))
            run_dir = _claim_run_dir(args.out, experiment, context)
        report, signum = _fit_stoppable(experiment, run_dir)
    finally:
        if context.enabled:
            import torch.distributed as dist

            dist.destroy_process_group()
    if context.is_main and not args.quiet:
        _print_report(run_dir, report)
    elif context.is_main:
        print(run_dir)
    return _finish_status(run_dir, report, signum)


def _reported(run_dir: Path, step: int) -> bool:
    """Whether the run's report.json describes it at ``step`` (a run killed after its final
    checkpoint has none yet, and ``--resume`` writes it)."""
    from .rundir import REPORT

    try:
        report = json.loads((run_dir / REPORT).read_text())
        return isinstance(report, dict) and report.get("steps") == step
    except (OSError, ValueError):
        return False


def _new_experiment(args: argparse.Namespace, overrides: dict[str, Any], seed: int | None, plugins, callbacks):
    """The experiment that ``train``'s setup, --config, --preset and overrides describe."""
    from .config import read_toml
    from .experiment import Experiment

    raw: dict[str, Any] = {}
    if args.config is not None:
        raw = read_toml(args.config)
    if args.setup:
        raw["setup"] = args.setup
    if args.preset is not None:
        if "setup" not in raw:
            raise ConfigError("--preset needs a setup: ganframe train SETUP --preset P")
        raw["preset"] = args.preset
    if not raw:
        raise ConfigError("name a setup (see 'ganframe list setups') or give --config FILE")
    shortcuts = {"seed": seed, "train.steps": args.steps, "device": args.device}
    overrides = {k: v for k, v in shortcuts.items() if v is not None} | overrides
    return Experiment.from_dict(raw, overrides=overrides, plugins=plugins, callbacks=callbacks)


def _claim_run_dir(out: Path | None, experiment, context, *, seeds: str | None = None) -> Path:
    """The run directory (of a --seeds run: their parent): ``out``, or a fresh name; the main
    process decides, every process agrees."""
    from . import distributed

    run_dir = distributed.broadcast_object(out or _default_run_dir(experiment, seeds=seeds), context)
    if out is not None and _is_nonempty_dir(run_dir):
        resume = "" if seeds else " or continue a run there with --resume"
        raise RunDirectoryError(f"{str(run_dir)!r} already exists and is not empty; choose another --out{resume}")
    # Every process checks before any writes: none may find rank 0's fresh files and give up.
    distributed.barrier(context)
    return run_dir


def _finish_status(run_dir: Path, report: dict[str, Any], signum: int | None) -> int:
    """0 for a run that completed; for one stopped early, how to continue it and 128 + the signal's
    number (130 when a plugin stopped it)."""
    if not report["completed"]:
        sys.stderr.write(
            f"ganframe: stopped at step {report['steps']}; continue with: ganframe train --resume {run_dir}\n"
        )
        return stopping.exit_status(signum) if signum is not None else EXIT_INTERRUPTED
    return 0


def _train_seeds(args: argparse.Namespace, seeds: list[int], overrides: dict[str, Any], plugins, context) -> int:
    """One run per seed into OUT/seed-N, then OUT/summary.json and OUT/report.html."""
    from .summary import format_summary, summarize, write_summary

    def experiment_for(seed: int):
        callbacks = _console_callbacks(args, context.is_main, label=f"seed {seed}")
        return _new_experiment(args, overrides, seed, plugins, callbacks)

    first = experiment_for(seeds[0])  # a bad config fails here, before any directory is made
    base = _claim_run_dir(args.out, first, context, seeds=args.seeds)
    runs: list[dict[str, Any]] = []
    report: dict[str, Any] = {"completed": True}
    signum = None
    for seed in seeds:
        experiment = first if seed == seeds[0] else experiment_for(seed)
        run_dir = base / f"seed-{seed}"
        report, signum = _fit_stoppable(experiment, run_dir)
        if context.is_main and not args.quiet:
            _print_report(run_dir, report)
        runs.append(
            {
                "seed": seed,
                "run_dir": run_dir.name,
                "metrics": report["metrics"],
                "seconds": report["seconds"],
                "completed": report["completed"],
            }
        )
        if not report["completed"]:
            break
    if context.is_main:
        summary = summarize(
            [run for run in runs if run["completed"]],
            setup=first.config.setup,
            preset=first.config.preset,
            metric_descriptions=report.get("metric_descriptions"),
        )
        write_summary(base, summary)
        if first.config.logging.report:
            from .html_report import write_report

            write_report(base)
        print(f"summary over {len(summary['runs'])} seeds ({base / 'summary.json'}):")
        print(format_summary(summary))
    return _finish_status(base / f"seed-{runs[-1]['seed']}", report, signum)


def _console_callbacks(args: argparse.Namespace, is_main: bool, label: str = "") -> list[object]:
    """The progress display: a bar on a terminal, else a line every --progress-every seconds."""
    if args.quiet or not is_main:
        return []
    from .progress import ProgressBar, ProgressLines

    if sys.stderr.isatty():
        return [ProgressBar(label=label)]
    return [ProgressLines(args.progress_every, label=label)] if args.progress_every > 0 else []


def _fit_stoppable(experiment, run_dir: Path) -> tuple[dict[str, Any], int | None]:
    """Fit; the first stop signal (Ctrl-C, SIGTERM, SIGHUP) ends training after the current round,
    with a checkpoint; a second one aborts. Returns the report and the signal that stopped it, if any."""
    handler = stopping.StopAfterRound(experiment.request_stop)
    try:
        with stopping.handling(handler):
            return experiment.fit(run_dir), handler.signum
    except KeyboardInterrupt as exc:  # aborted, or stopped while evaluating after the final checkpoint
        raise stopping.Terminated(getattr(exc, "signum", signal.SIGINT), note=_how_to_continue(run_dir)) from None


def _default_run_dir(experiment, seeds: str | None = None) -> Path:
    cfg = experiment.config
    which = f"seeds{seeds.replace(',', '_')}" if seeds else f"s{cfg.seed}"
    name = "-".join(str(p) for p in (cfg.setup or cfg.data.name, cfg.preset, which) if p)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = Path("runs") / f"{name}-{stamp}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = Path("runs") / f"{name}-{stamp}-{suffix}"
    return candidate


def _is_nonempty_dir(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _print_report(run_dir: Path, report: dict[str, Any]) -> None:
    print(f"run directory: {run_dir}")
    print(f"steps: {report['steps']}  time: {report['seconds']:.1f} s  device: {report['device']}")
    for name, value in report["metrics"].items():
        print(f"  {name}: {value:.6g}")


# -- sample / evaluate ------------------------------------------------------------------------
SAMPLE_FORMATS = (".npy", ".pt", ".png")


def cmd_sample(args: argparse.Namespace) -> int:
    from .experiment import Experiment

    output: Path = args.output
    if output.suffix not in SAMPLE_FORMATS:
        raise ConfigError(f"-o {str(output)!r}: the file must end in {', '.join(SAMPLE_FORMATS)}")
    if not 1 <= args.n <= MAX_WRITTEN_SAMPLES:
        raise ConfigError(f"-n must be a number of samples from 1 to {MAX_WRITTEN_SAMPLES:,}, got {args.n}")
    _check_seed("--seed", args.seed)
    _check_writable(output)
    _check_not_run_file(output, args.run_dir)
    experiment = Experiment.load(args.run_dir, device=args.device, plugins=_plugins(args))
    _check_sample_size(args.n, experiment)
    samples = experiment.sample(args.n, seed=args.seed, labels=args.label)
    write_samples(samples, output, discrete=experiment.data.discrete)
    of_class = "" if args.label is None else f" of class {args.label}"
    print(f"wrote {args.n} samples{of_class} of shape {tuple(samples.shape[1:])} to {output}")
    return 0


#: The most samples ``sample -n`` writes, and the most bytes they may take in memory.
MAX_WRITTEN_SAMPLES = 100_000_000
MAX_SAMPLE_BYTES = 8 * 2**30


def _check_sample_size(n: int, experiment) -> None:
    import math

    size = 4 * n * math.prod(experiment.data.sample_shape)  # float32 in memory
    if size > MAX_SAMPLE_BYTES:
        most = max(1, MAX_SAMPLE_BYTES // (4 * math.prod(experiment.data.sample_shape)))
        raise ConfigError(
            f"-n {n} samples of shape {tuple(experiment.data.sample_shape)} would take "
            f"{size / 2**30:.0f} GiB; write at most {most:,} at a time"
        )


def _check_seed(option: str, seed: int | None) -> None:
    from .config import MAX_INT

    if seed is not None and not 0 <= seed <= MAX_INT:
        raise ConfigError(f"{option} must be a whole number from 0 to 2**63 - 1, got {seed}")


#: What a run directory (or a --seeds run's directory) holds that no command may write over.
RUN_FILES = ("config.toml", "metrics.jsonl", "report.json", "report.html", "summary.json", ".lock")
RUN_FOLDERS = ("checkpoints", "plots", "tensorboard")


def _check_not_run_file(output: Path, run_dir: Path, allowed: Path | None = None) -> None:
    """No command writes over a run's own files (its checkpoint, config, metrics, figures...), of
    the run it reads or of any other run: ``output`` may be anywhere else, or ``allowed`` (a
    command's own file, like report.html)."""
    try:
        target = output.resolve()
        if allowed is not None and target == allowed.resolve():
            return
        runs = [
            Path(run_dir).resolve(),
            *(
                folder
                for folder in target.parents
                if (folder / "config.toml").is_file() or (folder / "summary.json").is_file()
            ),
        ]
    except (OSError, RuntimeError):
        return  # an unresolvable path: writing it fails with its own message
    for run in runs:
        if run not in target.parents:
            continue
        parts = target.relative_to(run).parts
        if (
            (len(parts) == 1 and parts[0] in RUN_FILES)
            or (len(parts) > 1 and parts[0] in RUN_FOLDERS)
            or (len(parts) > 1 and parts[0].startswith("seed-"))
        ):
            raise RunDirectoryError(
                f"-o {str(output)!r} is one of the files of the run {str(run)!r}; write somewhere else"
            )


def _check_writable(output: Path) -> None:
    parent = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise RunDirectoryError(f"-o {str(output)!r} is a directory; give a file name")
    if not parent.is_dir():
        raise RunDirectoryError(f"cannot write {str(output)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise RunDirectoryError(f"cannot write {str(output)!r}: permission denied")


def write_samples(samples, output: Path, *, discrete: bool) -> None:
    """``.npy``/``.pt``: float32 (int64 for discrete data) of shape (N, *sample_shape); ``.png``: a grid."""
    import torch

    from .rundir import write_atomically

    samples = samples.to(torch.int64) if discrete else samples.to(torch.float32)
    if output.suffix == ".npy":
        import numpy as np

        write_atomically(output, lambda handle: np.save(handle, samples.numpy()))
    elif output.suffix == ".pt":
        write_atomically(output, lambda handle: torch.save(samples, handle))
    else:
        write_image_grid(samples, output)


def write_image_grid(samples, output: Path) -> None:
    """A PNG grid of image samples (N, C, H, W) with values in [0, 1], ⌈√N⌉ to a row."""
    import math

    from .plots.images import grid
    from .rundir import write_atomically

    if samples.dim() != 4 or samples.shape[1] not in (1, 3):
        raise ConfigError(
            f"a .png needs image samples of shape (N, 1 or 3, H, W); these have shape "
            f"{tuple(samples.shape[1:])}: write .npy or .pt instead"
        )
    image = grid(samples, columns=math.ceil(math.sqrt(len(samples))))
    write_atomically(output, lambda handle: image.save(handle, format="PNG"))


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .config import MAX_SAMPLES as MAX_EVALUATION_SAMPLES  # as evaluation.samples
    from .experiment import Experiment

    if args.samples is not None and not 1 <= args.samples <= MAX_EVALUATION_SAMPLES:
        raise ConfigError(f"--samples must be from 1 to {MAX_EVALUATION_SAMPLES:,}, got {args.samples}")
    experiment = Experiment.load(args.run_dir, device=args.device, plugins=_plugins(args))
    if not experiment.metrics and not args.metric:
        raise ConfigError(
            f"the run in {str(args.run_dir)!r} configures no metrics (evaluation.metrics); name some with --metric"
        )
    metrics = experiment.evaluate(args.samples, metrics=args.metric or None)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        for name, value in metrics.items():
            print(f"{name}: {value:.6g}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .html_report import write_report

    if args.output is not None:
        from .html_report import HTML

        _check_writable(args.output)
        _check_not_run_file(args.output, args.run_dir, allowed=Path(args.run_dir) / HTML)
    print(write_report(args.run_dir, args.output))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import load_sweep, run_sweep
    from .sweep.results import format_table, print_trial
    from .sweep.storage import import_optuna

    import_optuna()  # what to install, before anything else
    if not 1 <= args.jobs <= 256:
        raise ConfigError(f"--jobs must be from 1 to 256, got {args.jobs}")
    if args.trials is not None and args.trials < 1:
        raise ConfigError(f"--trials must be positive, got {args.trials}")
    spec = load_sweep(args.sweep_file)
    out = args.out if args.out is not None else Path("sweeps") / spec.name
    with stopping.handling(stopping.RaiseOnce()):  # a second Ctrl-C must not cut the first one's cleanup short
        result = run_sweep(
            spec,
            out,
            storage=args.storage,
            jobs=args.jobs,
            trials=args.trials,
            plugins=_plugins(args),
            on_trial=print_trial,
            worker_progress=True,
        )
    print(f"sweep {spec.name!r}: {out}")
    print(format_table(result["rows"], spec.objective))
    print(f"report: {result['report']}")
    best = result["best"]
    if best is None:
        raise ConfigError(f"no trial of the sweep {spec.name!r} is complete: see the errors in the table above")
    print(f"best: trial {best.number}, {spec.objective} = {best.value:.6g}")
    if result["against_baseline"]:
        print(result["against_baseline"])
    print(f"best config: {result['best_config']} (train it with: ganframe train --config {result['best_config']})")
    return 0


COMMANDS = {
    "sweep": cmd_sweep,
    "report": cmd_report,
    "plugins": cmd_plugins,
    "list": cmd_list,
    "show": cmd_show,
    "new-plugin": cmd_new_plugin,
    "train": cmd_train,
    "sample": cmd_sample,
    "evaluate": cmd_evaluate,
}
