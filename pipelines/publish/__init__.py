"""The read side: the only code that reads the output tables on behalf of a person.

``snapshot`` (``Snapshot``, ``Viewer``) serves the dashboard pages, the team review and the fix list,
protected for the viewer; ``exports`` writes the CLI's files from the same place. Nothing else in
``dashboard/`` or ``pipelines/`` reads ``metric_values``, ``dq_results``, ``dq_findings``, ``goal_status``,
``fix_list`` or the case marts for a person (tests/privacy/test_read_side.py checks that).
"""

from pipelines.publish.case_reads import OTHER_VARIANTS_DE
from pipelines.publish.snapshot import GOAL_FIGURES, Snapshot, explanation, read_fix_list, store_protection
from pipelines.publish.viewer import ALL, UNASSIGNED, OutOfScope, Viewer

__all__ = ["ALL", "GOAL_FIGURES", "OTHER_VARIANTS_DE", "UNASSIGNED", "OutOfScope", "Snapshot", "Viewer",
           "explanation", "read_fix_list", "store_protection"]
