"""What people read: German number formats, plotly charts and the team review as HTML.

Shared by the dashboard pages and by the files the CLI writes (``steering review``), so that
both say the same thing in the same words. Nothing here reads a database: every function takes
frames the read side (``pipelines/publish/``) has already protected.
"""
