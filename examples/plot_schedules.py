"""
Learning-rate schedules
=======================

Every schedule of :mod:`descend.schedules` is a function of the step :math:`t = 1, 2, \\ldots`;
:func:`descend.schedules.rates` evaluates one over a range of steps. Step decay halves the rate at fixed
intervals, exponential decay divides it smoothly, inverse scaling follows :math:`\\eta_0/t^{p}`, cosine
annealing (Loshchilov & Hutter 2017) follows half a cosine, with warm restarts when asked, and a linear
warm-up ramps up before handing over to another schedule.
"""

import matplotlib.pyplot as plt

from descend.schedules import Constant, CosineAnnealing, Exponential, InverseScaling, LinearWarmup, StepDecay, rates

steps = 1000
schedules = {
    "Constant(0.1)": Constant(0.1),
    "StepDecay(0.1, rate=0.5, steps=200)": StepDecay(0.1, rate=0.5, steps=200),
    "Exponential(0.1, k=0.003)": Exponential(0.1, k=0.003),
    "InverseScaling(0.1, power_t=0.25)": InverseScaling(0.1, power_t=0.25),
    "CosineAnnealing(0.1, T_max=1000)": CosineAnnealing(0.1, T_max=1000),
    "CosineAnnealing(0.1, T_max=250, restarts=True)": CosineAnnealing(0.1, T_max=250, restarts=True),
    "LinearWarmup(CosineAnnealing(0.1, 1000), 100)": LinearWarmup(CosineAnnealing(0.1, T_max=1000), 100),
}
figure, ax = plt.subplots(figsize=(7.5, 4.2))
for name, schedule in schedules.items():
    ax.plot(range(1, steps + 1), rates(schedule, 1, steps), label=name)
ax.set_xlabel("step t")
ax.set_ylabel("learning rate")
ax.set_title("descend.schedules over 1000 steps")
ax.legend(fontsize=7, loc="upper right")
