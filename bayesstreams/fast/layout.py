"""The layout the numba kernels and the packed problems share: cells, hyperparameter slots, headers, flags.

A leaf: it imports nothing of the package, so the kernels (:mod:`bayesstreams.fast.kernels`,
:mod:`bayesstreams.fast.modes`) and the tables that feed them (:mod:`bayesstreams.fast.problem`)
both read it without importing each other.  Changing a value here changes the packed buffers and
the kernels together; numba's cache then recompiles them (it is keyed on the kernels' files:
clear ``bayesstreams/fast/__pycache__/*.nb[ic]`` after editing this one).
"""

N_CELLS = 6  # phase x stream, cell = 3 * phase + stream
# Prior hyperparameters in the order the kernel reads them; the last slot holds the sum of
# all normalising constants.
HYPER = ("mu.mu", "mu.sigma", "tau.sigma", "alpha.mu", "alpha.sigma", "lambda.alpha", "lambda.beta",
         "kappa.alpha", "kappa.beta", "rho.alpha", "rho.beta", "sigma_group.sigma")
# Posterior variables in the order of PyMC's trace: free variables first, then derived ones.
EXPANDED = ("mu", "z", "alpha", "gamma_raw", "tau", "beta", "sigma_group", "gamma", "lambda", "kappa", "rho")
GROUP_VARIABLES = ("sigma_group", "gamma_raw", "gamma")
HEADER = 20  # int64 slots at the start of the packed buffer: 8 sizes and 12 offsets
# The prior families the kernels implement; a model file can change hyperparameters, never families.
FAMILIES = {"mu": "normal", "tau": "halfnormal", "alpha": "normal", "lambda": "beta", "kappa": "beta",
            "rho": "beta", "sigma_group": "halfnormal"}

# The evidence modes (MODEL.md §7).
# Evidence hyperparameters in the order the kernels read them (code_prob's row a, the two saliences'
# (alpha, beta), confusion's 3 x 3 concentrations by row, stream_error's (alpha, beta)); then the
# sum of their normalising constants, Jacobian constants included.
EV_HYPER_SIZE = 3 + 2 + 2 + 9 + 2 + 1
# Mode flags of the packed header, in this order: the evidence features (bayesstreams.model.modes)
# that switch a block of the kernels on ("latent" is the confusion feature of latent respondents).
EV_FLAGS = ("code_prob", "salience", "latent", "stream_error")
EV_FEATURES = ("code_prob", "salience", "confusion", "stream_error")  # the model's name of each flag
# Posterior evidence variables after the v1 ones of EXPANDED, each only under the options that use it.
EV_EXPANDED = ("code_prob", "salience_zero", "salience_nonzero", "confusion", "stream_error")
EV_HEADER = 40  # int64 slots of the packed buffer of an evidence problem: 16 sizes and 24 offsets
