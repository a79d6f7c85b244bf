; A type error in a kernel is reported at the offending form, before anything runs.
(print "before")
(defkernel bad ((xs (array f32)) (n i32))
  (set-at! xs (gpu/id) (+ (at xs (gpu/id)) n)))
