"""``steering``: the analyst's command line (data contract, section 4).

Every failure the user can fix ends in one clear line and a non-zero exit code,
never a traceback; unexpected errors say where the log is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from pipelines.errors import LoadError, german_count
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
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Datum der Form JJJJ-MM-TT") from None


# argparse's own words (usage line, section titles, usage errors) in German; anything not listed here
# (a message of a newer Python) is printed as argparse words it.
_USAGE_ERRORS = [
    (re.compile(r"the following arguments are required: (.*)", re.S), r"fehlende Angabe(n): \1"),
    (re.compile(r"argument (.+?): invalid choice: (.*) \(choose from (.*)\)", re.S),
     r"\1: \2 ist keine der Möglichkeiten \3"),
    (re.compile(r"argument (.+?): invalid int value: (.*)", re.S), r"\1: \2 ist keine ganze Zahl"),
    (re.compile(r"argument (.+?): invalid \S+ value: (.*)", re.S), r"\1: \2 ist kein gültiger Wert"),
    (re.compile(r"argument (.+?): expected one argument", re.S), r"\1: es fehlt der Wert"),
    (re.compile(r"unrecognized arguments: (.*)", re.S), r"unbekannte Angabe(n): \1"),
    (re.compile(r"argument (.+?): (.*)", re.S), r"\1: \2"),
]


def german_usage_error(message: str) -> str:
    for pattern, replacement in _USAGE_ERRORS:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message, count=1)
    return message


class _GermanHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # argparse's signature
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with German help and usage errors (exit code 2 as before, no traceback)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _GermanHelp)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "Argumente"
        self._optionals.title = "Optionen"
        self.add_argument("-h", "--help", action="help", help="diese Hilfe zeigen und beenden")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: Fehler: {german_usage_error(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="steering", description="Steuerungsdashboard für Jobcenter (SGB II).")
    parser.add_argument("--config", metavar="DATEI",
                        help="TOML-Datei mit Einstellungen (Vorgabe: STEERING_CONFIG oder die eingebauten Vorgaben)")
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL", title="Befehle", required=True)

    p = sub.add_parser("load", help="einen Quellordner prüfen, laden und berechnen")
    p.add_argument("source", type=Path, metavar="QUELLORDNER", help="Ordner mit persons.csv, benefit_spells.csv, ...")
    p.add_argument("--db", type=Path, metavar="DATEI", help="zu schreibende DuckDB-Datei (Vorgabe: database.path)")
    p.add_argument("--as-of", type=_date, metavar="DATUM",
                   help="Datenstand JJJJ-MM-TT (Vorgabe: das späteste recorded_at)")
    p.add_argument("--mapping", type=Path, metavar="DATEI",
                   help="Zuordnungsdatei (Vorgabe: QUELLORDNER/mapping.yaml, falls vorhanden)")
    p.add_argument("--json", action="store_true", help="den Ladebericht als JSON ausgeben")

    from pipelines.publish.exports import EXPORTS  # local import keeps `steering --help` fast

    p = sub.add_parser("export", help="eine Ausgabetabelle als CSV schreiben")
    p.add_argument("what", choices=sorted(EXPORTS), metavar="TABELLE",
                   help="welche Ausgabetabelle: " + ", ".join(sorted(EXPORTS)))
    p.add_argument("--out", type=Path, required=True, metavar="DATEI",
                   help="Zieldatei (.csv; für fixlist auch .xlsx)")
    p.add_argument("--db", type=Path, metavar="DATEI", help="zu lesende DuckDB-Datei (Vorgabe: database.path)")
    p.add_argument("--team", help="Team-ID (nur fixlist)")
    p.add_argument("--no-suppression", action="store_true",
                   help="metrics/dq/goals: auch Zellen über weniger als privacy.min_cell_size Personen behalten "
                        "(nur für die eigene Arbeit im Controlling; eine solche Datei nie weitergeben)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv",
                   help="csv (Vorgabe) oder parquet: ein Ordner, nach Monat aufgeteilt")

    p = sub.add_parser("review", help="die Teamreflexion eines Teams als HTML oder PDF schreiben")
    p.add_argument("--team", required=True, help="Team-ID")
    p.add_argument("--month", required=True, metavar="MONAT", help="Monat JJJJ-MM")
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="Zieldatei (.html oder .pdf)")
    p.add_argument("--db", type=Path, metavar="DATEI", help="zu lesende DuckDB-Datei (Vorgabe: database.path)")
    p.add_argument("--compare", action="store_true", help="den Vergleich mit dem Jobcenter aufnehmen")

    p = sub.add_parser("targets-template", help="eine Zieldatei für ein Jahr zum Ausfüllen schreiben")
    p.add_argument("--year", type=int, required=True, metavar="JAHR", help="das Jahr der Ziele, z. B. 2027")
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="zu schreibende Datei (.csv)")
    p.add_argument("--db", type=Path, metavar="DATEI",
                   help="DuckDB-Datei mit den Zahlen des Vorjahres (Vorgabe: database.path)")
    p.add_argument("--force", action="store_true", help="--out überschreiben, wenn es die Datei schon gibt")

    p = sub.add_parser("archive", help="archivierte Datenstände auflisten oder zwei davon vergleichen")
    p.add_argument("action", choices=["list", "diff"], metavar="AKTION",
                   help="list (auflisten) oder diff (vergleichen)")
    p.add_argument("old", nargs="?", metavar="ALT", help="älterer Datenstand (diff)")
    p.add_argument("new", nargs="?", metavar="NEU", help="neuerer Datenstand (diff)")
    p.add_argument("--metric", metavar="KENNZAHL", help="nur diese Kennzahl (diff)")
    p.add_argument("--out", type=Path, metavar="DATEI", help="die Unterschiede als CSV schreiben (diff)")
    p.add_argument("--db", type=Path, metavar="DATEI",
                   help="Datenbank, deren Archiv gemeint ist (Vorgabe: database.path)")

    p = sub.add_parser("sample", help="einen synthetischen Export im Stil deutscher Fachverfahren schreiben")
    p.add_argument("out_dir", type=Path, metavar="ZIELORDNER", help="Ordner für die Dateien des Exports")
    p.add_argument("--persons", type=int, default=12_000, metavar="ANZAHL", help="Zahl der Personen (Vorgabe: 12000)")
    p.add_argument("--seed", type=int, default=42, metavar="ZAHL", help="Startwert des Zufalls (Vorgabe: 42)")

    p = sub.add_parser("serve", help="die Einrichtung prüfen, dann das Dashboard starten")
    p.add_argument("--db", type=Path, metavar="DATEI", help="anzuzeigende DuckDB-Datei (Vorgabe: database.path)")
    p.add_argument("--port", type=int, help="Port (Vorgabe: dashboard.port)")
    p.add_argument("--demo", action="store_true",
                   help="Demo-Modus ohne Anmeldung für diesen Lauf: nur über localhost, nur synthetische Daten")

    p = sub.add_parser("check", help="eine Einrichtung prüfen (Konfiguration, Anmeldung, Zugriffsdatei, Adresse, "
                                     "Datenbank)")
    p.add_argument("--db", type=Path, metavar="DATEI", help="zu prüfende DuckDB-Datei (Vorgabe: database.path)")
    p.add_argument("--demo", action="store_true", help="die Einrichtung von steering serve --demo prüfen")
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
        err.print(Text.assemble(("Fehler: ", "bold"), str(exc)), soft_wrap=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        err.print("Unterbrochen; es wurde nichts verändert.")
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
        err.print(Text.assemble(("Laden abgebrochen, die Datenbank ist unverändert.", "bold"), "\n", str(exc)),
                  soft_wrap=True)
        return EXIT_INPUT
    except Exception as exc:  # an internal error: keep the user's data safe and say where to look
        err.print(f"Das Laden ist an einem internen Fehler gescheitert ({type(exc).__name__}: {exc}); die "
                  f"Datenbank ist unverändert. Einzelheiten: {failures_log(db)}", markup=False, soft_wrap=True)
        return EXIT_INTERNAL
    if args.json:
        out.print_json(json.dumps(report_dict(report), default=str))
        return EXIT_OK
    table = RichTable(title=f"Ladelauf {report.run_id}, Datenstand {report.as_of:%d.%m.%Y}", caption=str(db))
    # the Pipeline page's column names; the long ones over two lines so that the table fits 120 columns
    counts = ("gelesen", "geladen", "abgewiesen", "Werte leer\ngelassen")
    for col in ("Tabelle", "Datei", *counts, "verworfene\nSpalten"):  # a narrow terminal folds, never cuts a name
        table.add_column(col, justify="right" if col in counts else "left", overflow="fold")
    for t in report.tables:
        table.add_row(t.table, t.file or "–", german_count(t.rows_read), german_count(t.rows_loaded),
                      german_count(t.rows_rejected), german_count(t.values_blanked),
                      ", ".join(t.dropped_columns) or "–")
    out.print(table)
    out.print(f"{german_count(report.rows_read)} Zeilen gelesen = {german_count(report.rows_loaded)} geladen + "
              f"{german_count(report.rows_rejected)} abgewiesen. Einzelheiten zu den abgewiesenen Zeilen: "
              "steering export rejects --out rejects.csv", soft_wrap=True)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.publish.exports import PROTECTED, export

    rows = export(args.what, _db(args, settings), args.out, team=args.team, fmt=args.format, settings=settings,
                  suppress=not args.no_suppression)
    out.print(f"{german_count(rows)} Zeilen nach {args.out} geschrieben", soft_wrap=True)
    if args.what in PROTECTED:
        if args.no_suppression:
            err.print("Warnung: Kleine Fallzahlen sind in dieser Datei NICHT ausgeblendet; nur für die eigene "
                      "Analyse, nicht weitergeben.", soft_wrap=True)
        else:
            out.print(f"Zellen über weniger als {settings.privacy.min_cell_size} Personen bleiben leer "
                      "(privacy.min_cell_size).", soft_wrap=True)
    return EXIT_OK


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.review import write_review

    try:
        month = dt.date.fromisoformat(f"{args.month}-01")
    except ValueError:
        raise LoadError("--month", f"„{args.month}“ ist kein Monat", expected="JJJJ-MM") from None
    path = write_review(_db(args, settings), args.team, month, args.out, settings=settings, compare=args.compare)
    out.print(f"Teamreflexion des Teams {args.team} für {month:%m.%Y} nach {path} geschrieben", soft_wrap=True)
    return EXIT_OK


def cmd_targets_template(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.goals import write_targets_template
    from pipelines.publish.exports import open_readonly

    if Path(args.out).exists() and not args.force:
        raise LoadError(str(args.out), "die Datei gibt es schon; sie kann bereits Ziele enthalten und wird nicht "
                        "überschrieben", expected="ein anderes --out oder --force")
    if Path(args.out).suffix.lower() != ".csv":
        raise LoadError(str(args.out), "dieses Format wird nicht unterstützt", expected="eine .csv-Datei")
    con = open_readonly(_db(args, settings))
    try:
        rows = write_targets_template(con, args.year, args.out)
    finally:
        con.close()
    out.print(f"{german_count(rows)} Zeilen nach {args.out} geschrieben: target_value ausfüllen (leer gelassene "
              "Zeilen sind kein Ziel), dann die Datei als targets.csv in den Quellordner legen", soft_wrap=True)
    return EXIT_OK


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines import archive

    folder = archive.archive_dir(_db(args, settings), settings)
    if args.action == "list":
        for name in archive.datenstaende(folder):
            out.print(name)
        return EXIT_OK
    if not (args.old and args.new):
        raise LoadError("archive diff", "es braucht zwei Datenstände", expected="steering archive diff ALT NEU")
    changes = archive.compare(folder, args.old, args.new, args.metric)
    if args.out:
        from pipelines.spreadsheet import neutralise_value

        changes.map(neutralise_value).to_csv(args.out, index=False, date_format="%Y-%m-%d")
    out.print(f"{german_count(len(changes))} Werte unterscheiden sich zwischen Datenstand {args.old} und "
              f"{args.new}", soft_wrap=True)
    if not args.out and len(changes):
        out.print(changes.head(40).to_string(index=False), soft_wrap=True)
    return EXIT_OK


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.sample import write_sample

    if args.persons < 10:
        raise LoadError("--persons", "zu wenige Personen für ein Jobcenter", expected="mindestens 10")
    counts = write_sample(args.out_dir, persons=args.persons, seed=args.seed)
    for table, n in counts.items():
        out.print(f"{table:<20} {german_count(n):>10} Zeilen")
    out.print(f"Beispielexport nach {args.out_dir} geschrieben (laden mit: steering load {args.out_dir})",
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
