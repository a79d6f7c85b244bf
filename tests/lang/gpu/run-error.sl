; An uncaught gpu/run error names the kernel and the parameter at fault, at the call.
(defkernel scale ((k f32) (xs (array f32)))
  (set-at! xs (gpu/id) (* k (at xs (gpu/id)))))
(def xs (gpu/array (list 1 2) :i32))
(print "before")
(gpu/run scale 2 xs :grid 2)
