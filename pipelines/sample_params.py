"""Fixed parameters of the synthetic job center: teams, rates, seasonality, export layout.

Kept apart from the simulation so the realism assumptions and the defect rates
can be read (and documented in docs/sample-data.md) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Team:
    """One team with the parameters that make it behave differently from the others."""

    team_id: str
    name: str
    unit: str
    contact_gap: float  # mean days between follow-up contacts
    first_interview: float  # probability of an Erstgespräch after a spell start
    first_lag: float  # mean days from spell start to the Erstgespräch / first plan
    plan_late: float  # probability that a plan renewal comes 1-4 months late
    measure_rate: float  # measures per person-year in this team
    quality: float  # multiplier on every defect base rate (1 = average)


# Names carry „“ – Ü € on purpose: they only survive a correct cp1252 round trip.
TEAMS: tuple[Team, ...] = (
    Team("T01", "U25 „Junge Menschen“ Nord/West", "U25", 30, 0.92, 7, 0.15, 0.60, 1.5),
    Team("T02", "U25 Übergang Schule–Beruf Süd/Ost", "U25", 36, 0.88, 9, 0.20, 0.55, 0.6),
    Team("T03", "Ü25 Nord – Ahlen", "Ü25", 70, 0.90, 8, 0.15, 0.35, 0.45),
    Team("T04", "Ü25 Süd – Oelde", "Ü25", 80, 0.85, 10, 0.25, 0.30, 1.0),
    Team("T05", "Ü25 Ost – Ennigerloh", "Ü25", 95, 0.78, 14, 0.35, 0.25, 2.2),
    Team("T06", "Ü25 West – Warendorf", "Ü25", 75, 0.86, 9, 0.20, 0.35, 0.8),
    Team("T07", "Fallmanagement – Beckum (€-Coaching)", "Fallmanagement", 21, 0.95, 6, 0.10, 0.70, 0.5),
    Team("T08", "Reha & Schwerbehinderung – Zentrale", "Reha", 45, 0.90, 10, 0.20, 0.80, 1.2),
)
N_TEAMS = len(TEAMS)
U25_BY_REGION = np.array([0, 1, 1, 0])  # regions Nord, Süd, Ost, West -> team index
UE25_BY_REGION = np.array([2, 3, 4, 5])
FM_TEAM, REHA_TEAM = 6, 7
REGION_P = [0.28, 0.25, 0.25, 0.22]

TEAM_GAP = np.array([t.contact_gap for t in TEAMS])
TEAM_FIRST_P = np.array([t.first_interview for t in TEAMS])
TEAM_FIRST_LAG = np.array([t.first_lag for t in TEAMS], dtype=float)
TEAM_PLAN_LATE = np.array([t.plan_late for t in TEAMS])
TEAM_MEASURE_RATE = np.array([t.measure_rate for t in TEAMS])
TEAM_QUALITY = np.array([t.quality for t in TEAMS])
TEAM_UNIT = np.array([t.unit for t in TEAMS])

# ---- population and benefit dynamics ------------------------------------------------------------
YEARS = 4  # length of the data window
INITIAL_SHARE = 0.42  # persons already in benefit at the window start (history cut there)
BG_SHARE = 0.25  # persons who share a Bedarfsgemeinschaft with the person before them
NONEMP_ONLY_SHARE = 0.02  # persons with only a non-employable spell (Sozialgeld)
# distance to the labour market: close / medium / far, for the initial stock and for new entrants
CLASS_P_INITIAL = [0.12, 0.30, 0.58]
CLASS_P_ENTRANT = [0.50, 0.35, 0.15]
EXIT_HAZARD = np.array([0.085, 0.038, 0.011])  # per month
NONEMP_HAZARD = 1 / 18
REENTRY_P = np.array([0.45, 0.38, 0.30])  # after an exit (moved: 0.15)
REENTRY_GAP_MEAN = 200  # days after the minimum gap of 31 days
MAX_SPELLS = 6
# exit reasons (contract codes, index = code): integration first
REASONS = ("integration", "other_income", "moved", "not_employable", "other", "unknown")
P_INTEGRATION = np.array([0.50, 0.40, 0.22])  # share of exits that are integrations, by class
P_OTHER_REASONS = np.array([0.30, 0.14, 0.08, 0.30, 0.18])  # the rest, normalised
# month weights (index 0 = January): fewer integrations in December, more in spring and at
# the start of the training year (August/September)
SEASON_INTEGRATION = np.array([0.95, 1.0, 1.2, 1.25, 1.2, 1.05, 1.0, 1.15, 1.1, 1.05, 0.9, 0.55])
SEASON_ENTRY = np.array([1.3, 1.05, 1.0, 0.95, 0.9, 0.95, 1.1, 1.15, 1.0, 0.95, 0.85, 0.8])
# integrations in benefit that do not end the spell (part-time, Aufstocker), per person-year
IN_BENEFIT_INTEGRATION = np.array([0.15, 0.08, 0.03])
# Team shares. At 12,000 persons the eLb stock is about 5,900, so a team needs about 10.5 % of it to
# hold a realistic caseload of 600+ (issue 16, item 12): Fallmanagement and Reha about 11 % each, the
# two U25 teams about 24 % together, the four regional Ü25 teams the rest (measured in docs/sample-data.md).
P_FM = np.array([0.07, 0.26, 0.58])  # Ü25 spells handed to Fallmanagement, by distance to the labour market
FM_HANDOVER_DAYS = (90, 540)  # days from a new spell's start to the handover to Fallmanagement
# a spell of the initial stock began before the window (its history is cut), so its handover may fall
# anywhere in the window; with 90-540 days every long-term recipient's stay would be over by the last year
FM_HANDOVER_INITIAL_DAYS = (30, 1460)
FM_STAY_DAYS = (360, 1080)  # days in Fallmanagement (1-3 years) before the person goes back to the Ü25 team
REHA_P = 0.80  # severely disabled persons looked after by the Reha team
# persons not severely disabled but in vocational rehabilitation or with health limitations (same team)
REHA_OTHER_P = 0.11
# persons under 25 at their first spell start: fewer in the initial (long-term) stock than among entrants
YOUNG_P_INITIAL, YOUNG_P_ENTRANT = 0.20, 0.38

# ---- events ---------------------------------------------------------------------------------------
CONTACT_TYPES = ("first_interview", "follow_up", "phone", "video", "written")
# follow-up type mix by unit: follow_up, phone, video, written
CONTACT_MIX = {
    "U25": [0.45, 0.25, 0.15, 0.15],
    "Ü25": [0.45, 0.28, 0.05, 0.22],
    "Fallmanagement": [0.70, 0.18, 0.04, 0.08],
    "Reha": [0.55, 0.25, 0.05, 0.15],
}
MEASURE_TYPES = ("fbw", "agh", "16i", "16e", "activation_45", "reha", "other")
MEASURE_MIX = {
    "U25": [0.30, 0.05, 0.0, 0.0, 0.45, 0.02, 0.18],
    "Ü25": [0.30, 0.22, 0.06, 0.07, 0.25, 0.02, 0.08],
    "Fallmanagement": [0.15, 0.25, 0.12, 0.08, 0.30, 0.02, 0.08],
    "Reha": [0.15, 0.05, 0.03, 0.04, 0.13, 0.55, 0.05],
}
# duration range in days (low, high) by measure type
MEASURE_DAYS = np.array([[90, 365], [180, 365], [730, 1825], [365, 730], [28, 90], [180, 730], [30, 180]])
INTEGRATION_TYPES = ("employment_full", "employment_part", "apprenticeship", "self_employment")
PLAN_REVIEW_DAYS = 183

# ---- data-quality defects: base rate per row (fraction), multiplied by the team's quality ---------
DEFECT_BASE = {
    "DQ01": 0.010,  # birth date empty
    "DQ02": 0.006,  # sex empty
    "DQ03": 0.0025,  # sex code unknown ('u')
    "DQ04": 0.020,  # qualification empty
    "DQ05": 0.008,  # birth year typo: age < 15 or > 67
    "DQ06": 0.025,  # assignment starts late or is missing
    "DQ07": 0.005,  # spell entered twice (overlapping employable spells)
    "DQ08": 0.010,  # measure end before start
    "DQ09": 0.025,  # measure starts before the benefit began
    "DQ10": 0.010,  # integration recorded for a person no longer in benefit
    "DQ11": 0.020,  # contact recorded more than 7 days late
    "DQ12": 0.022,  # integration recorded more than 14 days late
    "DQ13": 0.005,  # contact entered before it happened
    "DQ14": 0.008,  # contact entered twice
    "DQ15": 0.006,  # person missing from persons.csv
    "DQ16": 0.010,  # review date before the plan date
}
LOADER_DEFECT_EVERY = 600  # loader-level defects: max(3, persons // 600) rows of each kind

# ---- export layout: German headers (in file order) -> canonical columns ---------------------------
HEADERS: dict[str, dict[str, str | None]] = {
    "teams": {"Team-ID": "team_id", "Teamname": "team_name", "Bereich": "unit"},
    "persons": {
        "Personen-ID": "person_id", "BG-Nummer": "bg_id", "Geburtsdatum": "birth_date",
        "Geschlecht": "sex", "Alleinerziehend": "single_parent", "Schwerbehindert": "severely_disabled",
        "Höchster Abschluss": "highest_qualification", "Erfasst am": "recorded_at",
    },
    "benefit_spells": {
        "Leistungsfall-ID": "spell_id", "Personen-ID": "person_id", "Beginn": "spell_start",
        "Ende": "spell_end", "Erwerbsfähig": "employable", "Abgangsgrund": "exit_reason",
    },
    "assignments": {
        "Personen-ID": "person_id", "Team-ID": "team_id", "Gültig ab": "valid_from", "Gültig bis": "valid_to",
    },
    "contacts": {
        "Kontakt-ID": "contact_id", "Personen-ID": "person_id", "Kontaktdatum": "contact_date",
        "Kontaktart": "contact_type", "Erfasst am": "recorded_at", "Bemerkung": None,
    },
    "cooperation_plans": {
        "Kooperationsplan-ID": "plan_id", "Personen-ID": "person_id", "Datum": "plan_date",
        "Nächste Überprüfung": "next_review_date", "Erfasst am": "recorded_at",
    },
    "measures": {
        "Maßnahme-ID": "measure_id", "Personen-ID": "person_id", "Maßnahmeart": "measure_type",
        "Beginn": "start_date", "Ende": "end_date", "Erfasst am": "recorded_at", "Status": None,
    },
    "integrations": {
        "Integrations-ID": "integration_id", "Personen-ID": "person_id", "Integrationsdatum": "integration_date",
        "Art der Integration": "integration_type", "Erfasst am": "recorded_at",
    },
    "targets": {"Jahr": "year", "Team-ID": "team_id", "Kennzahl": "metric_id", "Zielwert": "target_value"},
}
# German code labels, index = internal code; labels after the contract codes are deliberately
# unmapped (they must fail the validity rules)
SEX_LABELS = ("männlich", "weiblich", "divers", "ohne Angabe", "u")
SEX_CODES = ("m", "w", "d", "x")
QUAL_LABELS = ("ohne", "Schulabschluss", "Berufsausbildung", "Hochschule")
QUAL_CODES = ("none", "school", "vocational", "academic")
REASON_LABELS = ("Arbeitsaufnahme", "Sonstiges Einkommen", "Umzug", "Erwerbsunfähigkeit", "Sonstiges", "unbekannt")
CONTACT_LABELS = ("Erstgespräch", "Folgegespräch", "Telefonat", "Videotermin", "schriftlich", "Hausbesuch")
MEASURE_LABELS = ("FbW", "AGH", "§ 16i", "§ 16e", "Aktivierung § 45", "Reha", "Sonstige")
INTEGRATION_LABELS = ("SV-pflichtig Vollzeit", "SV-pflichtig Teilzeit", "Ausbildung", "Selbständigkeit")
TARGET_LABELS = {
    "integrations": "Anzahl Integrationen",
    "integration_rate_12m": "Integrationsquote",
    "ltb_stock": "LZB-Bestand",
    "coop_plan_coverage": "Abdeckung Kooperationsplan",
    "no_contact_90d_rate": "Ohne Kontakt 90 Tage",
}
ALL_TEAMS_LABEL = "Gesamt"  # targets for the whole job center; mapped to __all__
REMARKS = (
    "Termin wahrgenommen", "Termin verschoben", "Unterlagen nachgereicht", "Rückruf erbeten",
    "Termin abgesagt", "Bewerbungsunterlagen besprochen", "Stellenangebote übergeben",
)
MEASURE_STATUS = ("laufend", "beendet", "abgebrochen")
