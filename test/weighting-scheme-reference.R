# The reference a weighting scheme's stored weights are checked against (test/weighting-schemes.test.ts): R's
# survey::rake on a panel the test writes from the simulator's ground truth, as little-endian doubles into the
# folder given as the only argument: each member's age band and household size (1-based codes) and inclusion
# probability, each margin's cells and population totals, and the raking's maxit and epsilon. The weights are
# written back in the members' order.
suppressMessages(library(survey))
dir <- commandArgs(trailingOnly = TRUE)[1]
path <- function(name) file.path(dir, name)
readDoubles <- function(name) readBin(path(name), "double", n = file.size(path(name)) / 8, size = 8, endian = "little")

people <- matrix(readDoubles("members.bin"), ncol = 3)
settings <- readDoubles("settings.bin")
levelCounts <- c(age = settings[3], hh = settings[4])
asFactor <- function(codes, variable) factor(codes, levels = seq_len(levelCounts[[variable]]))
panel <- data.frame(age = asFactor(people[, 1], "age"), hh = asFactor(people[, 2], "hh"), pi = people[, 3])
margin <- function(variable) {
  cells <- matrix(readDoubles(paste0("margin-", variable, ".bin")), ncol = 2)
  frame <- data.frame(asFactor(cells[, 1], variable), cells[, 2])
  names(frame) <- c(variable, "Freq")
  frame
}

design <- svydesign(ids = ~1, probs = ~pi, data = panel)
raked <- rake(design, list(~age, ~hh), list(margin("age"), margin("hh")), control = list(maxit = settings[1], epsilon = settings[2]))
writeBin(as.double(weights(raked)), path("weights.bin"), size = 8, endian = "little")
