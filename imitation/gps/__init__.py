"""Guided Policy Search's control half: linear-Gaussian controllers, local dynamics with
a GMM prior, KL-constrained LQR, the trajectory-optimisation-only algorithm and an
iLQR model-predictive expert (Levine & Abbeel 2014; Levine et al. 2016; Montgomery &
Levine 2016). Import the submodules directly; this file stays empty of imports."""
