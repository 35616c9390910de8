"""occlunet: occlusion detection and thrombus classification in cerebral DSA, on MMDetection 3."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list[str]:
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


# The stack this project is verified on (README, "Install"). mmcv must be built from source with
# ops before this package is installed: see the Makefile for the order that works.
CORE = ['torch==2.13.0', 'mmengine==0.10.7', 'mmcv==2.1.0']

setup(
    name='occlunet',
    version='0.1.0',
    description='Spatio-temporal occlusion detection (OccluNet) and thrombus classification '
    '(Mittmann et al. 2022) in cerebral DSA sequences, on MMDetection 3',
    long_description=(HERE / 'README.md').read_text() if (HERE / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=find_packages(include=['occlunet', 'occlunet.*']),
    install_requires=CORE + read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'dev': read_requirements('tests.txt') + ['pre-commit'],
    },
    include_package_data=True,
    zip_safe=False,
)
