"""Command line: ``python -m pipelines <stage> [--profile quick|full] [--set key=value ...]``.

JAX is configured (float64, persistent compilation cache under ``.cache/jax``)
before the stages are imported. Config errors print one line ``error: ...``
and exit with status 2; a missing input file prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines import registry
from pipelines._hints import MissingDataError, PrerequisiteError
from pipelines._paths import REPO_ROOT
from pipelines._provenance import pin_git_commit
from pipelines.config import CONFIG_DIR, PROFILES, ConfigError, describe_fields, load_config
from pipelines.jaxsetup import configure_jax


def main(argv: Sequence[str] | None = None, *, config_dir: str | Path = CONFIG_DIR) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: arguments after the program name; ``sys.argv[1:]`` when None.
        config_dir: where the ``<stage>.toml`` files are (tests point it elsewhere).
    """
    configure_jax()
    pin_git_commit()  # results name the commit whose code this process runs
    _register_stages()
    args = build_parser().parse_args(argv)
    if args.command == "list":
        for name in registry.names():
            print(f"{name:20s} {registry.get(name).help}")
        return 0
    stage = registry.get(args.command)
    if args.scheduler and not stage.uses_scheduler:
        users = ", ".join(n for n in registry.names() if registry.get(n).uses_scheduler)
        print(f"error: {stage.name} computes in its own process and takes no --scheduler (got {args.scheduler!r});"
              f" the stages that use one: {users}", file=sys.stderr)
        return 2
    ctx = registry.StageContext(profile=args.profile, scheduler=args.scheduler, out=args.out, repo_root=REPO_ROOT)
    try:
        cfg = load_config(stage.config_cls, stage.name, args.profile, args.set or [], config_dir=config_dir)
        stage.run(cfg, ctx)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except MissingDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except PrerequisiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one sub-command per registered stage, plus ``list``."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Run a pipeline stage. Config values come from pipelines/configs/<stage>.toml.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="<stage>", title="stages")
    sub.add_parser("list", help="list the stages")
    for name in registry.names():
        stage = registry.get(name)
        keys = "\n".join(f"  {line}" for line in describe_fields(stage.config_cls))
        p = sub.add_parser(
            name,
            help=stage.help,
            description=stage.help,
            epilog=f"config keys (pipelines/configs/{name}.toml, tables [quick] and [full]):\n{keys}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument(
            "--profile", default="quick", metavar="{" + ",".join(PROFILES) + "}", help="config profile (default: quick)"
        )
        p.add_argument(
            "--set",
            action="extend",
            nargs="+",
            metavar="KEY=VALUE",
            help='override a config value; VALUE is TOML (8, 1e-9, ["a", "b"]) or a bare string',
        )
        p.add_argument("--scheduler", metavar="ADDRESS",
                       help="dask distributed scheduler address" if stage.uses_scheduler
                       else "not used by this stage (it computes in its own process)")
        p.add_argument("--out", type=Path, metavar="PATH", help="output path (default: the stage's own)")
    return parser


def _register_stages() -> None:
    """Register the built-in ``report`` stage, then import the project's stages."""
    from pipelines.report import REPORT_STAGE

    registry.register(REPORT_STAGE)
    import pipelines.stages  # noqa: F401  (registers the project's stages)
