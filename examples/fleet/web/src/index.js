// Web front: loads the page data in parallel. Uses async, not lodash directly.
const async = require("async");

module.exports = function load(tasks, done) {
  async.parallel(tasks, done);
};
