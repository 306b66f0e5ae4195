"""The Gradio demo shipped with the package: app.py (the UI, `build_demo`), presentation.py (its words), runs.py
(which models it loads), trec.yaml (the task it presents by default)."""
