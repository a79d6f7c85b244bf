(defun leaf () :leaf)
