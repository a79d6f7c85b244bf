; referencing an undefined global stops the program
(def a 1)
(+ a missing)
