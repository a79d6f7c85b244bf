(def ready true)
  (throw "custom failure")
