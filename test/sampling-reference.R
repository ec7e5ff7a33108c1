# The reference computations the sampling statistics are checked against (test/sampling-against-r.test.ts):
# R's sampling package and glm, on data the test writes as little-endian doubles into the folder given as the
# only argument. The results are written back the same way, so no number is ever rounded through text.
suppressMessages(library(sampling))
dir <- commandArgs(trailingOnly = TRUE)[1]
path <- function(name) file.path(dir, name)
readDoubles <- function(name, n) readBin(path(name), "double", n = n, size = 8, endian = "little")
writeDoubles <- function(values, name) writeBin(as.double(values), path(name), size = 8, endian = "little")
dims <- scan(path("dims.txt"), quiet = TRUE)
names(dims) <- c("sizesN", "sizesn", "glmN", "glmq", "cubeN", "cubep", "seed")

# Inclusion probabilities proportional to size.
# The sizes include zeros on purpose (they get π = 0), which the package warns about.
writeDoubles(suppressWarnings(inclusionprobabilities(readDoubles("sizes.bin", dims[["sizesN"]]), dims[["sizesn"]])), "pik.bin")

# Logistic regression, to the maximum of the likelihood (a convergence criterion far tighter than glm's default),
# and the R-indicator of Schouten, Cobben & Bethlehem (2009) from its fitted propensities.
X <- matrix(readDoubles("glm-x.bin", dims[["glmN"]] * dims[["glmq"]]), ncol = dims[["glmq"]])
y <- readDoubles("glm-y.bin", dims[["glmN"]])
w <- readDoubles("glm-w.bin", dims[["glmN"]])
control <- glm.control(epsilon = 1e-14, maxit = 100)
fit <- glm(y ~ X, family = binomial, control = control)
# Non-integer weights: glm warns about non-integer successes, yet maximises the weighted likelihood all the same.
weighted <- suppressWarnings(glm(y ~ X, family = binomial, weights = w, control = control))
rIndicator <- function(rho, d) {
  N <- sum(d)
  mean <- sum(d * rho) / N
  1 - 2 * sqrt(sum(d * (rho - mean)^2) / (N - 1))
}
writeDoubles(coef(fit), "glm-coefficients.bin")
writeDoubles(coef(weighted), "glm-weighted-coefficients.bin")
writeDoubles(fitted(fit), "glm-fitted.bin")
writeDoubles(fitted(weighted), "glm-weighted-fitted.bin")
writeDoubles(c(1 - 2 * sd(fitted(fit)), rIndicator(fitted(weighted), w)), "r-indicators.bin")

# A balanced sample by the cube method on π itself and the auxiliaries the test gives.
set.seed(dims[["seed"]])
pik <- readDoubles("cube-pik.bin", dims[["cubeN"]])
x <- matrix(readDoubles("cube-x.bin", dims[["cubeN"]] * dims[["cubep"]]), ncol = dims[["cubep"]])
writeDoubles(samplecube(cbind(pik, x), pik, order = 1, comment = FALSE, method = 1), "cube-sample.bin")
