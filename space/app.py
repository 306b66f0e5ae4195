"""The Hugging Face Space entry: serves the Gradio app that ships with seqclf-hf (seqclf_hf/space/app.py).

A Space runs `python app.py`; the models come from `SEQCLF_MODELS`, else this folder's README.md (`models:`).
Locally, `seqclf-hf space` serves the same app.
"""

from pathlib import Path

from seqclf_hf.space.app import launch

if __name__ == "__main__":
    launch(space_readme=Path(__file__).with_name("README.md"))
