"""Whether the Hugging Face Hub can be reached, decided once per process.

Without a network the Hub clients retry each request for half a minute before failing; asking once, with a short
timeout, and then switching the process to offline mode makes a Hub id load from the local cache or fail at once.
"""

import functools
import logging
import os

import datasets
import httpx
import huggingface_hub

logger = logging.getLogger(__name__)

TIMEOUT_S = 3


@functools.cache
def hub_reachable() -> bool:
    """Whether the Hub answers (asked once; HF_HUB_OFFLINE=1 means no). When it does not, this process goes offline."""
    if huggingface_hub.constants.is_offline_mode():
        return False
    try:
        httpx.head(huggingface_hub.constants.ENDPOINT, timeout=TIMEOUT_S)
        return True
    except httpx.HTTPError as error:
        logger.warning(
            "The Hugging Face Hub (%s) is unreachable (%s): Hub ids load from the local cache only.",
            huggingface_hub.constants.ENDPOINT,
            error,
        )
        go_offline()
        return False


def go_offline() -> None:
    # Each library reads its own copy of the setting at call time; the variable reaches child processes.
    os.environ["HF_HUB_OFFLINE"] = "1"
    huggingface_hub.constants.HF_HUB_OFFLINE = True
    datasets.config.HF_HUB_OFFLINE = True
