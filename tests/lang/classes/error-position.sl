; an error inside a method points at the method's code
(defclass Account (balance)
  (INIT (b) (set! this.balance b))
  (:withdraw (n)
    (when (> n this.balance) (throw "insufficient funds"))
    (set! this.balance (- this.balance n))))
(def acct (new Account 10))
(acct :withdraw 3)
(acct :withdraw 30)
