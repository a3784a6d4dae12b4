"""``steering``: the analyst's command line (data contract, section 4).

Every failure the user can fix ends in one clear line and a non-zero exit code,
never a traceback; unexpected errors say where the log is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from pipelines.errors import LoadError
from pipelines.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_USAGE, EXIT_INPUT, EXIT_INTERNAL = 0, 2, 1, 3
# Wide enough for the load report when output goes to a file or CI log instead of a terminal.
# Every text that comes from data (file names, headers, values in error messages) is printed literally: no Rich
# markup ("[/bold]" in a header would be a MarkupError), no emoji codes (":x:"), no highlighting.
out = Console(highlight=False, markup=False, emoji=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False, markup=False, emoji=False,
              width=None if sys.stderr.isatty() else 120)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date as YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="steering", description="Steering dashboard for job centers (SGB II).")
    parser.add_argument("--config", help="TOML file with settings (default: STEERING_CONFIG or built-in defaults)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="validate, load and compute a source folder")
    p.add_argument("source", type=Path, help="folder with persons.csv, benefit_spells.csv, ...")
    p.add_argument("--db", type=Path, help="DuckDB file to write (default: database.path)")
    p.add_argument("--as-of", type=_date, help="Datenstand YYYY-MM-DD (default: latest recorded_at)")
    p.add_argument("--mapping", type=Path, help="mapping file (default: SOURCE/mapping.yaml if present)")
    p.add_argument("--json", action="store_true", help="print the load report as JSON")

    from pipelines.publish.exports import EXPORTS  # local import keeps `steering --help` fast

    p = sub.add_parser("export", help="write an output table as CSV")
    p.add_argument("what", choices=sorted(EXPORTS), help="which output table")
    p.add_argument("--out", type=Path, required=True, help="target file (.csv; .xlsx for fixlist)")
    p.add_argument("--db", type=Path, help="DuckDB file to read (default: database.path)")
    p.add_argument("--team", help="team id (fixlist only)")
    p.add_argument("--no-suppression", action="store_true",
                   help="metrics/dq/goals: keep cells about fewer than privacy.min_cell_size persons (analysts' own "
                        "work only; never pass such a file on)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv",
                   help="csv (default) or parquet: a folder partitioned by month")

    p = sub.add_parser("review", help="write a team's review (Teamreflexion) as HTML or PDF")
    p.add_argument("--team", required=True, help="team id")
    p.add_argument("--month", required=True, help="month YYYY-MM")
    p.add_argument("--out", type=Path, required=True, help="target file (.html or .pdf)")
    p.add_argument("--db", type=Path, help="DuckDB file to read (default: database.path)")
    p.add_argument("--compare", action="store_true", help="include the comparison with the job center")

    p = sub.add_parser("targets-template", help="write a targets file for a year to fill in")
    p.add_argument("--year", type=int, required=True, help="the year the targets are for, e.g. 2027")
    p.add_argument("--out", type=Path, required=True, help="file to write (.csv)")
    p.add_argument("--db", type=Path, help="DuckDB file with last year's figures (default: database.path)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    p = sub.add_parser("archive", help="list archived Datenstände or compare two of them")
    p.add_argument("action", choices=["list", "diff"])
    p.add_argument("old", nargs="?", help="older as-of date (diff)")
    p.add_argument("new", nargs="?", help="newer as-of date (diff)")
    p.add_argument("--metric", help="only this metric (diff)")
    p.add_argument("--out", type=Path, help="write the differences as CSV (diff)")
    p.add_argument("--db", type=Path, help="database whose archive to use (default: database.path)")

    p = sub.add_parser("sample", help="write a synthetic German-style export")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--persons", type=int, default=12_000)
    p.add_argument("--seed", type=int, default=42)

    p = sub.add_parser("serve", help="check the set-up, then start the dashboard")
    p.add_argument("--db", type=Path, help="DuckDB file to show (default: database.path)")
    p.add_argument("--port", type=int, help="port (default: dashboard.port)")
    p.add_argument("--demo", action="store_true",
                   help="demo mode without login for this run: loopback only, synthetic data only")

    p = sub.add_parser("check", help="check a set-up (configuration, login, access file, address, database)")
    p.add_argument("--db", type=Path, help="DuckDB file to check (default: database.path)")
    p.add_argument("--demo", action="store_true", help="check the set-up of steering serve --demo")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        handler = {"load": cmd_load, "archive": cmd_archive, "export": cmd_export, "sample": cmd_sample,
                   "serve": cmd_serve, "check": cmd_check, "targets-template": cmd_targets_template,
                   "review": cmd_review}
        return handler[args.command](args, settings)
    except (LoadError, SettingsError) as exc:
        err.print(Text.assemble(("Error: ", "bold"), str(exc)), soft_wrap=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        err.print("Interrupted; nothing was changed.")
        return 130


def _db(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.db) if getattr(args, "db", None) else Path(settings.database.path)


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.load import load_folder, report_dict
    from pipelines.runlog import failures_log

    db = _db(args, settings)
    try:
        report = load_folder(args.source, db, as_of=args.as_of, mapping=args.mapping, settings=settings,
                             progress=lambda msg: err.print(f"  {msg}", markup=False))
    except LoadError as exc:
        err.print(Text.assemble(("Load stopped, the database is unchanged.", "bold"), "\n", str(exc)), soft_wrap=True)
        return EXIT_INPUT
    except Exception as exc:  # an internal error: keep the user's data safe and say where to look
        err.print(f"Load failed with an internal error ({type(exc).__name__}: {exc}); the database is "
                  f"unchanged. Details: {failures_log(db)}", markup=False, soft_wrap=True)
        return EXIT_INTERNAL
    if args.json:
        out.print_json(json.dumps(report_dict(report), default=str))
        return EXIT_OK
    table = RichTable(title=f"Load run {report.run_id}, Datenstand {report.as_of:%d.%m.%Y}", caption=str(db))
    for col in ("table", "file", "read", "loaded", "rejected", "values blanked", "columns dropped"):
        table.add_column(col, justify="right" if col in {"read", "loaded", "rejected", "values blanked"} else "left")
    for t in report.tables:
        table.add_row(t.table, t.file or "–", f"{t.rows_read:,}", f"{t.rows_loaded:,}", f"{t.rows_rejected:,}",
                      f"{t.values_blanked:,}", ", ".join(t.dropped_columns) or "–")
    out.print(table)
    out.print(f"{report.rows_read:,} rows read = {report.rows_loaded:,} loaded + {report.rows_rejected:,} "
              "rejected. Details of rejects: steering export rejects --out rejects.csv", soft_wrap=True)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.publish.exports import PROTECTED, export

    rows = export(args.what, _db(args, settings), args.out, team=args.team, fmt=args.format, settings=settings,
                  suppress=not args.no_suppression)
    out.print(f"{rows:,} rows written to {args.out}", soft_wrap=True)
    if args.what in PROTECTED:
        if args.no_suppression:
            err.print("Warning: small cells are NOT suppressed in this file; for your own analysis only, "
                      "do not pass it on.", soft_wrap=True)
        else:
            out.print(f"Cells about fewer than {settings.privacy.min_cell_size} persons are left empty "
                      "(privacy.min_cell_size).", soft_wrap=True)
    return EXIT_OK


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.review import write_review

    try:
        month = dt.date.fromisoformat(f"{args.month}-01")
    except ValueError:
        raise LoadError("--month", f"'{args.month}' is not a month", expected="YYYY-MM") from None
    path = write_review(_db(args, settings), args.team, month, args.out, settings=settings, compare=args.compare)
    out.print(f"Review of team {args.team} for {month:%m.%Y} written to {path}", soft_wrap=True)
    return EXIT_OK


def cmd_targets_template(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.goals import write_targets_template
    from pipelines.publish.exports import open_readonly

    if Path(args.out).exists() and not args.force:
        raise LoadError(str(args.out), "exists; it may hold targets already and is not overwritten",
                        expected="another --out, or --force")
    if Path(args.out).suffix.lower() != ".csv":
        raise LoadError(str(args.out), "unsupported format", expected="a .csv file")
    con = open_readonly(_db(args, settings))
    try:
        rows = write_targets_template(con, args.year, args.out)
    finally:
        con.close()
    out.print(f"{rows:,} rows written to {args.out}: fill in target_value (rows left empty are no target), "
              f"then put the file into the source folder as targets.csv")
    return EXIT_OK


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines import archive

    folder = archive.archive_dir(_db(args, settings), settings)
    if args.action == "list":
        for name in archive.datenstaende(folder):
            out.print(name)
        return EXIT_OK
    if not (args.old and args.new):
        raise LoadError("archive diff", "two Datenstände are needed", expected="steering archive diff OLD NEW")
    changes = archive.compare(folder, args.old, args.new, args.metric)
    if args.out:
        from pipelines.spreadsheet import neutralise_value

        changes.map(neutralise_value).to_csv(args.out, index=False, date_format="%Y-%m-%d")
    out.print(f"{len(changes):,} figures differ between Datenstand {args.old} and {args.new}", soft_wrap=True)
    if not args.out and len(changes):
        out.print(changes.head(40).to_string(index=False), soft_wrap=True)
    return EXIT_OK


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.sample import write_sample

    if args.persons < 10:
        raise LoadError("--persons", "too few persons for a job center", expected="at least 10")
    counts = write_sample(args.out_dir, persons=args.persons, seed=args.seed)
    for table, n in counts.items():
        out.print(f"{table:<20} {n:>10,} rows")
    out.print(f"Sample export written to {args.out_dir} (load it with: steering load {args.out_dir})",
              soft_wrap=True)
    return EXIT_OK


def serve_environment(args: argparse.Namespace, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the dashboard process: everything this command was given, as the variables
    ``pipelines/settings.py`` reads, so that the dashboard loads exactly the configuration checked here."""
    env = dict(os.environ if env is None else env)
    if args.config:
        env["STEERING_CONFIG"] = str(Path(args.config).resolve())
    elif env.get("STEERING_CONFIG"):
        env["STEERING_CONFIG"] = str(Path(env["STEERING_CONFIG"]).resolve())
    else:
        env.pop("STEERING_CONFIG", None)  # an empty variable is no configuration file
    if getattr(args, "db", None):
        env["STEERING_DATABASE_PATH"] = str(Path(args.db).resolve())
    if getattr(args, "port", None):
        env["STEERING_DASHBOARD_PORT"] = str(args.port)
    if getattr(args, "demo", False):
        env["STEERING_ACCESS_MODE"] = "demo"
    return env


def _print_findings(findings: list) -> bool:
    for f in findings:
        out.print(f"{'✓' if f.ok else '✗'} {f.check}: {f.message}", markup=False, soft_wrap=True)
        if not f.ok and f.fix:
            out.print(f"    Abhilfe: {f.fix}", markup=False, soft_wrap=True)
    failed = sum(not f.ok for f in findings)
    if failed:
        err.print(f"{failed} Punkt(e) der Einrichtung sind offen; niemand sieht Daten, bis sie erledigt sind.",
                  markup=False, soft_wrap=True)
    return not failed


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.preflight import run_checks

    env = serve_environment(args)
    settings = load_settings(env=env)
    source = env.get("STEERING_CONFIG") or "keine Datei, nur Vorgaben und STEERING_*-Variablen"
    out.print(f"Konfiguration: {source}", markup=False, soft_wrap=True)
    ok = _print_findings(run_checks(settings, Path(settings.database.path)))
    if ok:
        out.print("Die Einrichtung ist vollständig.", markup=False)
    return EXIT_OK if ok else EXIT_INPUT


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Check the set-up, then become the Streamlit server (``exec``): one process, so SIGTERM and SIGINT
    reach the server itself and nothing is left running when the service stops."""
    from pipelines.preflight import run_checks

    env = serve_environment(args)
    settings = load_settings(env=env)  # exactly what the dashboard process will load
    findings = run_checks(settings, Path(settings.database.path), probe_provider=False)
    if not all(f.ok for f in findings):
        _print_findings(findings)
        err.print("Das Dashboard wird nicht gestartet.", markup=False)
        return EXIT_INPUT
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    port, address = settings.dashboard.port, settings.dashboard.address
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           # no deploy button, and a calm accent instead of Streamlit's red
           "--client.toolbarMode", "minimal", "--theme.primaryColor", "#2f6690"]
    if address:  # empty: every interface (Streamlit's default); the checks allowed that for login mode only
        cmd += ["--server.address", address]
    if settings.access.mode == "login":
        cmd += ["--client.showErrorDetails", "none"]  # an error message can quote data; the log has it
    if settings.access.secrets_file:
        cmd += ["--secrets.files", str(Path(settings.access.secrets_file).resolve())]
    out.print(f"Dashboard: http://{address or '0.0.0.0'}:{port}  (Strg+C beendet es)", markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, cmd, env)
    return EXIT_INTERNAL  # not reached: execve replaces this process


if __name__ == "__main__":
    sys.exit(main())
