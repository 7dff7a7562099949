"""The gallery's order: the seed tutorial's chapters first, in order, then the rest (sphinx-gallery sort key)."""

ORDER = [
    "plot_batch_gradient_descent.py", "plot_mini_batch.py", "plot_momentum.py", "plot_adaptive.py",
    "plot_sgd_per_sample.py", "plot_early_stopping.py", "plot_schedules.py", "plot_penalties.py",
    "plot_housing.py", "plot_stocks.py", "plot_visualizer.py", "plot_streaming.py",
    "plot_concept_drift.py", "plot_rosenbrock_paths.py", "plot_learning_rate_sweep.py", "plot_amsgrad.py",
    "plot_optimizer_race.py",
    "plot_text_hashing.py",
    "plot_bikes.py",
]


class ChapterOrder:
    """Sort key: the place of a file in :data:`ORDER`; files not listed come last, by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (ORDER.index(filename), "") if filename in ORDER else (len(ORDER), filename)

    def __repr__(self):
        return "ChapterOrder()"
