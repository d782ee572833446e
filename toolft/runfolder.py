"""The run folder: the contract between the trainer process and everything that watches it.

::

    RUN/
      recipe.yaml     the exact recipe of this run
      status.json     {"state": "queued|running|completed|failed|cancelled", "step", "total_steps",
                       "error"?, "pid"?, "started_at", "updated_at", ...}
      metrics.jsonl   one JSON object per log event: step, epoch, loss, learning_rate, grad_norm, eval_loss...
      train.log       human-readable log (stdout and stderr of the trainer)
      data/           train.jsonl and eval.jsonl: the exact split used
      adapter/        the PEFT adapter and tokenizer, when training completed
      checkpoints/    checkpoint-STEP/ folders (adapter, optimizer, scheduler, RNG and data position)

Writers replace ``status.json`` atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

FINAL_STATES = ("completed", "failed", "cancelled", "interrupted")
RESUMABLE_STATES = ("failed", "cancelled", "interrupted")


@dataclass
class RunFolder:
    path: Path

    def __post_init__(self):
        self.path = Path(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def recipe_path(self) -> Path:
        return self.path / "recipe.yaml"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def log_path(self) -> Path:
        return self.path / "train.log"

    @property
    def adapter_path(self) -> Path:
        return self.path / "adapter"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    def last_checkpoint(self) -> Path | None:
        """The newest complete ``checkpoints/checkpoint-STEP`` folder, or None.

        A checkpoint counts once the Trainer wrote its ``trainer_state.json`` (the last file
        it saves), so a save cut short by a kill is never resumed from.
        """
        if not self.checkpoints_dir.is_dir():
            return None
        done = [p for p in self.checkpoints_dir.glob("checkpoint-*")
                if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()]
        return max(done, key=lambda p: int(p.name.split("-")[-1]), default=None)

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    def read_status(self) -> dict:
        try:
            return json.loads(self.status_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {"state": "unknown"}

    def write_status(self, **fields) -> dict:
        """Merge ``fields`` into status.json (atomic replace) and return the new status."""
        status = self.read_status()
        if status.get("state") == "unknown":
            status = {}
        status.update(fields, updated_at=time.time())
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.status_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(status), encoding="utf-8")
        os.replace(tmp, self.status_path)
        return status

    def append_metrics(self, record: dict) -> None:
        with self.metrics_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict]:
        """All complete metric events; a half-written last line is skipped."""
        if not self.metrics_path.exists():
            return []
        events = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return events

    def tail_log(self, max_chars: int = 4000) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_chars))
            return fh.read().decode("utf-8", errors="replace")

    def has_adapter(self) -> bool:
        return (self.adapter_path / "adapter_config.json").exists()
