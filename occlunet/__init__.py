"""occlunet: occlusion detection (OccluNet) and thrombus classification in cerebral DSA, on MMDetection 3.

``import occlunet`` registers every module into mmdet's registries (MODELS, DATASETS, TRANSFORMS,
METRICS, TASK_UTILS, ...) and installs the weights-only checkpoint loader. Configs can do the same with
``custom_imports = dict(imports=['occlunet'], allow_failed_imports=False)``.
"""

from . import (  # noqa: F401
    datasets,
    dicom,
    engine,  # noqa: F401  (first: the safe checkpoint loader)
    evaluation,
    models,
    synth,
    visualization,
)

from . import apis  # noqa: F401  # isort: skip  (after the others: uses their registrations)

__version__ = '0.1.0'
