"""toolft: teach small language models to call tools with LoRA SFT.

Importing this package is cheap: it never imports gradio, and heavy libraries
(torch, transformers, trl, peft) are imported inside the functions that need them.
"""

__version__ = "0.1.0"
