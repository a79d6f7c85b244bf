(defun add (a b) (+ a b))
add
(defun zero () 0)
zero
(defun va (a . rest) rest)
va
(defun any-args (. xs) xs)
any-args
(fun (x) x)
(lambda (x y z) x)
(fun () 1)
(fun (a b . c) a)
(list add zero)
(print add)
