"""The page behind a URL the viewer's role may not open (registered hidden in ``app.py`` under that URL).

Why a page and not Streamlit's "Page not found" dialog: that dialog is English and
suggests a broken link; this says in German that the page exists for other roles.
"""

from __future__ import annotations

from dashboard.auth import role_refusal

if __name__ == "__main__":  # run by st.navigation as a page script
    role_refusal()
