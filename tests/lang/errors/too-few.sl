(defun va (a b . rest) a)
(va 1)
