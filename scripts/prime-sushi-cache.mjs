console.log("cache priming: not yet written");
