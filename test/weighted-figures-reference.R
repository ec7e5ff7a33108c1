# The reference computations weighted figures are checked against (test/weighted-routes-against-r.test.ts,
# test/survey-results-against-r.test.ts): R's survey package rakes a panel, from its base weights and draw
# strata, to the universe's margins, then estimates each figure (a total, a mean or a share, of everyone or of
# a domain) from the values the test computed.
# Arguments: the variance method (linearization or jackknife: JKn replicates by stratum) and a folder holding
# members.csv (id, stratum, base, age_band, region, then one column per value), margin-age_band.csv and
# margin-region.csv (level, Freq) and figures.csv (name; kind: total, mean or share; value; domain: a 0/1 column,
# or empty for everyone); writes weights.csv and estimates.csv there, numbers printed with 17 significant digits.
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
variance <- args[1]
dir <- args[2]
path <- function(name) file.path(dir, name)
members <- read.csv(path("members.csv"), stringsAsFactors = FALSE)
margin <- function(variable) {
  cells <- read.csv(path(paste0("margin-", variable, ".csv")), stringsAsFactors = FALSE)
  frame <- data.frame(factor(cells$level, levels = cells$level), cells$Freq)
  names(frame) <- c(variable, "Freq")
  frame
}
ageBand <- margin("age_band")
region <- margin("region")
members$age_band <- factor(members$age_band, levels = levels(ageBand$age_band))
members$region <- factor(members$region, levels = levels(region$region))

design <- svydesign(ids = ~1, strata = ~stratum, weights = ~base, data = members)
if (variance == "jackknife") design <- as.svrepdesign(design, type = "JKn")
raked <- rake(design, list(~age_band, ~region), list(ageBand, region), control = list(maxit = 200, epsilon = 1e-12))
text <- function(x) sprintf("%.17g", x)
write.csv(data.frame(id = members$id, weight = text(weights(raked, "sampling"))), path("weights.csv"), row.names = FALSE)

figures <- read.csv(path("figures.csv"), stringsAsFactors = FALSE)
rows <- lapply(seq_len(nrow(figures)), function(i) {
  figure <- figures[i, ]
  within <- if (figure$domain == "") raked else subset(raked, members[[figure$domain]] == 1)
  formula <- as.formula(paste0("~", figure$value))
  if (figure$kind == "total" || figure$kind == "mean") {
    estimate <- if (figure$kind == "total") svytotal(formula, within) else svymean(formula, within)
    interval <- confint(estimate)
    c(coef(estimate), SE(estimate), interval[1], interval[2])
  } else {
    estimate <- suppressWarnings(svyciprop(formula, within, method = "logit"))
    interval <- attr(estimate, "ci")
    if (variance == "jackknife") {
      # svyciprop's logit interval, its replicate fits converged tightly: glm's default tolerance leaves each
      # replicate's logit off by up to 1e-5, more than the comparison allows.
      fit <- suppressWarnings(svyglm(as.formula(paste(figure$value, "~ 1")), within, family = quasibinomial, control = glm.control(epsilon = 1e-14, maxit = 100)))
      interval <- plogis(confint(fit, 1, level = 0.95, method = "Wald", ddf = degf(within)))
    }
    c(as.vector(estimate), as.vector(SE(estimate)), interval[1], interval[2])
  }
})
values <- do.call(rbind, rows)
write.csv(
  data.frame(name = figures$name, estimate = text(values[, 1]), se = text(values[, 2]), lower = text(values[, 3]), upper = text(values[, 4])),
  path("estimates.csv"),
  row.names = FALSE
)
