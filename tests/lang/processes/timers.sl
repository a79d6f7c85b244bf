; A timer's callback runs while the main process waits for the message it sends.
(def me (self))
(timer/timeout (fun () (send me :tick)) 20)
(receive (:tick :ticked) (after 2000 :no-tick))
(def count 0)
(def iv (timer/interval (fun () (set! count (+ count 1)) (send me count)) 5))
(receive (1 :first))
(receive (2 :second))
(timer/clear iv)
