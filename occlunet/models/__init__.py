"""OccluNet detector and sequence classifier modules (registered in mmdet MODELS / TASK_UTILS)."""

from . import backbones, classifiers, data_preprocessors, detectors, layers, necks, trackers  # noqa: F401
