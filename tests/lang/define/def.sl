(def x 10)
x
(defvar y 20)
y
(+ x y)
(def x 11)
x
(def z (+ x y))
z
(def s "str")
s
(def nothing nil)
nothing
(def lst (list 1 2))
lst
