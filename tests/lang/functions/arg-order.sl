; arguments are evaluated left to right
(list (begin (print "a") 1) (begin (print "b") 2) (begin (print "c") 3))
(defun show (x) (print x) x)
(+ (show 1) (show 2))
(defun three (a b c) (list c b a))
(three (show "x") (show "y") (show "z"))
(list (show 1) (undefined-in-args) (show 3))
