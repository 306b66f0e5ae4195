"""A stand-in for the Space app in tests/test_load_test.py: the four endpoints the soak calls, as inputs go, where
/predict, /explain and /compare answer at once and write 8 KiB to stderr each time (a chatty app: a few calls fill an
unread pipe), and /batch answers its first STUB_BATCH_ANSWERS calls (the warm-up) and then never."""

import itertools
import os
import sys
import threading

import gradio as gr

batch_calls = itertools.count()


def chatty(*inputs) -> str:
    sys.stderr.write("x" * 8192 + "\n")
    sys.stderr.flush()
    return "ok"


def batch(*inputs) -> str:
    if next(batch_calls) >= int(os.environ["STUB_BATCH_ANSWERS"]):
        threading.Event().wait()  # a worker stuck for good, as one blocked on a full pipe is
    return "ok"


with gr.Blocks() as demo:
    question, model, models, file, column, out = (
        gr.Textbox(),
        gr.Textbox(),
        gr.JSON(),
        gr.File(),
        gr.Textbox(),
        gr.Textbox(),
    )
    for name in ("predict", "explain"):
        gr.Button().click(chatty, [question, model], out, api_name=name)
    gr.Button().click(chatty, [question, models], out, api_name="compare")
    gr.Button().click(batch, [file, column, model], out, api_name="batch")

if __name__ == "__main__":
    demo.queue().launch(server_port=int(os.environ["GRADIO_SERVER_PORT"]))
