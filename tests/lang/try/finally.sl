(try (print "body") 5 (catch e 0) (finally (print "cleanup")))
(try (throw "bad") (catch e (print "caught") 1) (finally (print "cleanup")))
(try 7 (catch e 0) (finally 99))
(def trail '())
(defun note (x) (set! trail (cons x trail)))
(try (note 1) (catch e (note 2)) (finally (note 3)))
trail
(try (throw "a") (catch e (note 4)) (finally (note 5)))
trail
(try (throw "a") (catch e (throw "b")) (finally (print "finally runs")))
(try
  (try (throw "inner") (catch e (throw "rethrown")) (finally (print "inner finally")))
  (catch e (error/message e)))
