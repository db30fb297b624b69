"""`engagement calibrate`: fit the score's weights to the store's own renewals, and write them only when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engagement.analysis.schemas import Calibration
from cli.common import local_caller, open_core, print_json, user_errors
from cli.options import query_options
from cli.text import safe_console
from engagement.queries import CalibrationQuery
from engagement.scoring import COMPONENTS

console = safe_console()


def view(result: Calibration) -> Table:
    table = Table(title=f"Weights fitted to {result.outcome} ({result.accounts} accounts, {result.folds}-fold held out)")
    table.add_column("component")
    table.add_column("current", justify="right")
    table.add_column("fitted", justify="right")
    for name in COMPONENTS:
        table.add_row(name.replace("_", " "), f"{result.current_weights[name]:.4f}", f"{result.fitted_weights[name]:.4f}")
    for label, held in (("held-out r, current", result.before), ("held-out r, fitted", result.after)):
        table.add_row(label, f"{held.r:+.3f}", f"95% CI {held.ci_low:+.2f} to {held.ci_high:+.2f}, p = {held.p_value:.3g}")
    return table


@user_errors
@query_options(CalibrationQuery)
def calibrate(
    query: CalibrationQuery,
    write: Annotated[
        Path | None, typer.Option(help="Write the fitted weights (and the benchmarks in force) to this TOML file.", dir_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")] = False,
) -> None:
    """Fit the six score weights to your renewals and show the held-out correlation before and after.

    Nothing is written unless --write names a file; point ENGAGEMENT_WEIGHTS_FILE at it to use it.

    Example: engagement calibrate --outcome renewal --write weights.toml
    """
    from engagement.analysis.calibrate import weights_toml, write_weights
    from engagement.analysis.calls import calibration

    core = open_core()
    outcome = query.outcome
    with console.status("Scoring each account on the quarter before its renewal..."):
        result = calibration(core, local_caller(core), query)
    if write is not None:
        header = (
            f"Weights fitted by `engagement calibrate --outcome {outcome}` as of {result.as_of} on {result.accounts} accounts.\n"
            f"Held-out correlation with {outcome}: {result.after.r:+.3f} (current weights {result.before.r:+.3f}).\n"
            "Use it with ENGAGEMENT_WEIGHTS_FILE=<this file>."
        )
        write_weights(write, weights_toml(result.fitted_weights, core.scoring.benchmarks, header))
        result = result.model_copy(update={"written_to": str(write)})
    if as_json:
        print_json(result)
        return
    console.print(view(result))
    console.print(result.reading)
    if write is not None:
        console.print(f"Written to {write}. Use it: ENGAGEMENT_WEIGHTS_FILE={write}")
    else:
        console.print("Nothing written (add --write FILE to save these weights).")
