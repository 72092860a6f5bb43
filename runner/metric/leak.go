package metric

// HeapSlopeLower is the lower bound of the 95% confidence interval of
// heap.live.slope: memory.yaml declares a leak only when even this bound
// climbs, so the bound can sit just above zero instead of far above the
// noise of one run's slope.
const HeapSlopeLower = "heap.live.slope_lower"

func init() {
	def(Def{Name: HeapSlopeLower, Unit: Bytes, Better: LowerIsBetter, Tolerance: 0.50,
		Help: "lower bound of the 95% confidence interval (Student's t) of the post-GC live heap's slope across batches, bytes per batch: above zero only when the heap climbs for sure"})
}
