"""A hyperparameter sweep for the web UI tests, logged through the stock mlflow client.

63 runs: three parent runs ("sweep-adam", "sweep-sgd", "sweep-rmsprop"), each with 20
nested trials of 500 steps of train/loss, val/loss, train/accuracy and val/accuracy, a
single-value metric (best_val_accuracy, as autolog logs them) and system/* metrics on
every fourth trial only. Trials 0-3 log image series with `log_image(key=..., step=...)`
(IMAGE_STEPS; trial 3 at other steps, trial 1 also an image file with a hostile name).
Runnable by hand to fill a dev server:
`python -m tests.ui_sweep_data http://127.0.0.1:5000`.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

OPTIMIZERS = ("adam", "sgd", "rmsprop")
TRIALS = 20
STEPS = 500
IMAGE_TRIALS = 4
IMAGE_STEPS = (0, 100, 200, 300, 400)
HOSTILE_IMAGE_KEY = "<img src=x onerror=alert(1)>"
LONG_VALUE = "augmentations=" + ",".join(
    f"RandomResizedCrop(size={s},scale=(0.08,1.0))" for s in (96, 128, 160)
)


@dataclass
class Sweep:
    experiment_id: str
    experiment_name: str
    run_ids: dict[str, str] = field(default_factory=dict)  # run name -> run id

    def trial_ids(self, count: int) -> list[str]:
        return [run_id for name, run_id in self.run_ids.items() if name.startswith("trial-")][
            :count
        ]


def _curves(run_id: str, trial: int, now: int) -> list[Metric]:
    lr = 10 ** -(1 + trial % 4)
    rate = 0.004 + 0.001 * (trial % 7)
    points = []
    for step in range(STEPS):
        decay = math.exp(-rate * step)
        stamp = now + step * 100
        train = 0.1 + 2.2 * decay + 0.02 * math.sin(step / 7 + trial)
        val = train + 0.05 + 0.0002 * step * (trial % 3)
        points += [
            Metric("train/loss", train, stamp, step),
            Metric("val/loss", val, stamp, step),
            Metric("train/accuracy", 1 - train / 2.5, stamp, step),
            Metric("val/accuracy", 1 - val / 2.6 - lr, stamp, step),
        ]
        if trial % 4 == 0:
            points += [
                Metric("system/cpu_utilization", 40 + 30 * math.sin(step / 20), stamp, step),
                Metric("system/gpu_0_memory_usage_megabytes", 8000 + step, stamp, step),
            ]
    return points


def _log_images(client: MlflowClient, run_id: str, trial: int) -> None:
    """A 5-step series of small images ("samples/pred"; trial 3 logs at steps 50 later),
    as the stock client writes them; trial 1 also gets a file of the same naming scheme
    whose key is markup, which the UI must show as text."""
    import numpy as np
    from PIL import Image

    offset = 50 if trial == 3 else 0
    for index, step in enumerate(IMAGE_STEPS):
        shade = np.zeros((16, 16, 3), dtype=np.uint8)
        shade[..., index % 3] = 60 + 40 * index
        shade[: 2 + 3 * index, : 2 + 3 * trial] = 255
        client.log_image(run_id, shade, key="samples/pred", step=step + offset)
    if trial == 1:
        with tempfile.TemporaryDirectory() as folder:
            hostile = Path(folder) / f"{HOSTILE_IMAGE_KEY}+step+0+timestamp+1+0a1b.png"
            Image.fromarray(shade).save(hostile)
            client.log_artifact(run_id, str(hostile), "images")


def seed_sweep(tracking_uri: str, prefix: str = "sweep") -> Sweep:
    """The sweep, in a new experiment; every run finished."""
    client = MlflowClient(tracking_uri)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    sweep = Sweep(client.create_experiment(name), name)
    now = int(time.time() * 1000) - 3_600_000
    trial = 0
    for optimizer in OPTIMIZERS:
        parent = client.create_run(
            sweep.experiment_id, run_name=f"sweep-{optimizer}", start_time=now
        )
        sweep.run_ids[f"sweep-{optimizer}"] = parent.info.run_id
        for _ in range(TRIALS):
            run = client.create_run(
                sweep.experiment_id,
                run_name=f"trial-{trial:02d}",
                start_time=now + trial * 1000,
                tags={"mlflow.parentRunId": parent.info.run_id, "optimizer": optimizer},
            )
            run_id = run.info.run_id
            sweep.run_ids[f"trial-{trial:02d}"] = run_id
            points = _curves(run_id, trial, now)
            params = [
                Param("optimizer", optimizer),
                Param("lr", str(10 ** -(1 + trial % 4))),
                Param("batch_size", str(32 * (1 + trial % 3))),
                Param("dropout", str(round(0.1 * (trial % 5), 1))),
            ]
            if trial == 0:
                params.append(Param("transforms", LONG_VALUE))
            client.log_batch(run_id, params=params, tags=[RunTag("sweep", "hp")])
            for i in range(0, len(points), 1000):
                client.log_batch(run_id, metrics=points[i : i + 1000])
            best = max(p.value for p in points if p.key == "val/accuracy")
            client.log_metric(run_id, "best_val_accuracy", best, timestamp=now, step=0)
            if trial < IMAGE_TRIALS:
                _log_images(client, run_id, trial)
            client.set_terminated(run_id, end_time=now + STEPS * 100)
            trial += 1
        client.set_terminated(parent.info.run_id, end_time=now + STEPS * 100)
    return sweep


if __name__ == "__main__":
    print(seed_sweep(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000", "demo-sweep"))
