# The reference computations the weighting statistics are checked against (test/weighting-against-r.test.ts):
# R's survey package on a simulated panel the test writes as little-endian doubles into the folder given as the
# only argument. Every weighting, estimate, standard error and interval is written back the same way, so no
# number is ever rounded through text.
suppressMessages(library(survey))
dir <- commandArgs(trailingOnly = TRUE)[1]
path <- function(name) file.path(dir, name)
readDoubles <- function(name) readBin(path(name), "double", n = file.size(path(name)) / 8, size = 8, endian = "little")
writeDoubles <- function(values, name) writeBin(as.double(values), path(name), size = 8, endian = "little")

# Levels travel as 1-based codes; each variable's levels are named after their code, in the test's order.
levelCounts <- c(region = 4, sex = 2, age = 3)
asFactor <- function(codes, variable) factor(codes, levels = seq_len(levelCounts[[variable]]))
people <- matrix(readDoubles("people.bin"), ncol = 9)
panel <- data.frame(
  region = asFactor(people[, 1], "region"), sex = asFactor(people[, 2], "sex"), age = asFactor(people[, 3], "age"),
  stratum = people[, 4], N = people[, 5], d = people[, 6], y = people[, 7], b = people[, 8], inDomain = people[, 9]
)
# A margin: its variables' codes and the cell's population total, one row per cell.
margin <- function(name, variables) {
  cells <- matrix(readDoubles(paste0("margin-", name, ".bin")), ncol = length(variables) + 1)
  frame <- as.data.frame(lapply(seq_along(variables), function(j) asFactor(cells[, j], variables[[j]])))
  names(frame) <- variables
  frame$Freq <- cells[, length(variables) + 1]
  frame
}
region <- margin("region", "region")
sex <- margin("sex", "sex")
age <- margin("age", "age")
regionSex <- margin("region-sex", c("region", "sex"))
sexAge <- margin("sex-age", c("sex", "age"))
settings <- readDoubles("settings.bin")
names(settings) <- c("trimLower", "trimUpper", "strictLower", "strictUpper", "dfStratified", "dfFlat")

stratified <- svydesign(ids = ~1, strata = ~stratum, weights = ~d, fpc = ~N, data = panel)
flat <- svydesign(ids = ~1, weights = ~d, data = panel)
jkn <- as.svrepdesign(stratified, type = "JKn")
jk1 <- as.svrepdesign(flat, type = "JK1")

raked <- function(design) rake(design, list(~region, ~sex + age), list(region, sexAge))
linear <- function(design) calibrate(design, list(~region + sex, ~age), list(regionSex, age))
rakingBounded <- function(design) calibrate(design, list(~region + sex, ~sex + age), list(regionSex, sexAge), calfun = "raking", bounds = c(0.25, 2.5))
logit <- function(design) calibrate(design, list(~region, ~sex, ~age), list(region, sex, age), calfun = "logit", bounds = c(0.4, 2.6))
linearBounded <- function(design) calibrate(design, list(~region, ~sex + age), list(region, sexAge), calfun = "linear", bounds = c(0.45, 2.2))

# Per case: the weights, then mean, SE, lower, upper of y; the same of its total; the same of the proportion b;
# then the proportion's degrees of freedom, and n and Kish's design effect of the weights estimated with. A
# domain case estimates on subset(design, inDomain == 1), R's own degrees of freedom unless df is given.
report <- function(name, design, df = NULL, domain = FALSE) {
  writeDoubles(weights(design, "sampling"), paste0(name, "-weights.bin"))
  if (domain) design <- subset(design, inDomain == 1)
  if (is.null(df)) df <- degf(design)
  m <- svymean(~y, design)
  t <- svytotal(~y, design)
  # On a subset, svyciprop's glm tells that people of weight 0 are left out of its dispersion, which it does not use.
  p <- withCallingHandlers(svyciprop(~b, design, method = "logit", df = df), warning = function(w) {
    if (grepl("zero weight", conditionMessage(w))) invokeRestart("muffleWarning")
  })
  w <- weights(design, "sampling")
  w <- w[w != 0]
  writeDoubles(c(
    coef(m), SE(m), confint(m),
    coef(t), SE(t), confint(t),
    coef(p), sqrt(vcov(p)), attr(p, "ci"),
    df, length(w), length(w) * sum(w^2) / sum(w)^2
  ), paste0(name, "-estimates.bin"))
}
report("design", stratified)
report("rake", raked(stratified))
report("linear", linear(stratified))
report("raking-bounded", rakingBounded(stratified))
report("logit", logit(stratified))
report("linear-bounded", linearBounded(stratified))
report("trim", trimWeights(rakingBounded(stratified), lower = settings[["trimLower"]], upper = settings[["trimUpper"]]))
report("trim-strict", trimWeights(rakingBounded(stratified), lower = settings[["strictLower"]], upper = settings[["strictUpper"]], strict = TRUE))
report("rake-jkn", raked(jkn))
report("raking-bounded-jkn", rakingBounded(jkn))
report("linear-jk1", linear(jk1))
report("logit-jk1", logit(jk1))
report("design-domain", stratified, domain = TRUE)
report("rake-domain", raked(stratified), domain = TRUE)
report("linear-domain", linear(stratified), domain = TRUE)
report("logit-domain", logit(stratified), domain = TRUE)
report("rake-jkn-domain", raked(jkn), domain = TRUE)
report("linear-jkn-domain", linear(jkn), domain = TRUE)
report("logit-jk1-domain", logit(jk1), domain = TRUE)
