(def big 9223372036854775807)
(print "before")
(* big 2)
