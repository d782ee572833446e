"""Start the toolft web app: ``python app.py`` (on a Hugging Face Space, the Space runs this file).

``SPACE_ID`` (set by Spaces) makes the server listen on all interfaces; the port
comes from ``GRADIO_SERVER_PORT`` (default 7860).
"""

import os

from toolft.ui import CSS, build_app, theme
from toolft.ui.data_tab import MAX_UPLOAD_MB

demo = build_app()


def launch_kwargs() -> dict:
    """Arguments for ``demo.launch()``: host, port, upload limit, theme and CSS (Gradio 6 takes them here)."""
    return {
        "server_name": "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1",
        "server_port": int(os.environ.get("GRADIO_SERVER_PORT") or 7860),
        "max_file_size": f"{MAX_UPLOAD_MB:g}mb",  # Gradio refuses bigger uploads before they reach the Data tab
        "theme": theme(),
        "css": CSS,
    }


if __name__ == "__main__":
    demo.launch(**launch_kwargs())
