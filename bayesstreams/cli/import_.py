"""The ``bayesstreams import`` sub-commands: REFI-QDA projects, code matrices, mapping templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

import_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="bring coding from QDA software (NVivo, ATLAS.ti, MAXQDA) into a dataset")

MappingOpt = Annotated[Path, typer.Option("--mapping", help="mapping TOML: QDA code path -> factor and code")]
OutOpt = Annotated[Path, typer.Option("--out", help="dataset folder to write")]
CodebookOpt = Annotated[Optional[Path], typer.Option("--codebook", help="codebook.toml (default: the mapping's)")]
ForceOpt = Annotated[bool, typer.Option("--force", help="replace an existing output")]


def _report(result) -> None:
    data = result.dataset
    coded, streams = result.n_coded_cells, result.n_stream_states
    typer.echo(f"wrote {result.out}: {data.n_cases} cases, {len(data.codes)} code rows "
               f"({coded} of {data.x.size} cells coded), {streams} stream states")
    for line in result.summary.lines() if result.summary is not None else ():
        typer.echo(line)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if result.unmapped:
        typer.echo(f"{len(result.unmapped)} code(s) the mapping does not name (not imported; map them or list "
                   "them under [ignore]):", err=True)
        for path, count in result.unmapped.items():
            typer.echo(f"unmapped: {path} ({count} coding{'s' if count != 1 else ''})", err=True)
    for warning in data.warnings:
        typer.echo(f"warning: {warning}", err=True)


PositionsOpt = Annotated[Optional[str], typer.Option(
    "--positions", help="how selection positions count characters: code-points, utf-16, crlf-as-one or "
                        "utf-16-crlf-as-one (default: the writer's way, or the one the positions fit)")]


@import_app.command("qdpx")
def qdpx(project: Annotated[Path, typer.Argument(help="REFI-QDA project (.qdpx)")], mapping: MappingOpt,
         out: OutOpt, codebook: CodebookOpt = None, force: ForceOpt = False, positions: PositionsOpt = None) -> None:
    """Import a REFI-QDA project (.qdpx) as a dataset folder, quotes kept as provenance."""
    from bayesstreams.data.qda.importer import import_qdpx

    _report(import_qdpx(project, mapping, out, codebook=codebook, force=force, positions=positions))


@import_app.command("matrix")
def matrix(file: Annotated[Path, typer.Argument(help="code-by-document or code-by-case matrix (.xlsx or .csv)")],
           mapping: MappingOpt, out: OutOpt, codebook: CodebookOpt = None, force: ForceOpt = False) -> None:
    """Import a code matrix export (counts or presence) as a dataset folder."""
    from bayesstreams.data.qda.importer import import_matrix

    _report(import_matrix(file, mapping, out, codebook=codebook, force=force))


@import_app.command("template")
def template(project: Annotated[Path, typer.Argument(help="REFI-QDA project (.qdpx)")],
             out: Annotated[Path, typer.Option("--out", help="mapping TOML to write")],
             codebook: CodebookOpt = None, force: ForceOpt = False) -> None:
    """Write a starting mapping that lists every code of a project, to edit."""
    from bayesstreams.data.qda.template import write_template

    typer.echo(f"wrote {write_template(project, out, codebook=codebook, force=force)}")
