/**
 * DigitalOcean document and queue resources (issue 18). For now: the MongoDB URL form
 * DigitalOcean needs (one private SRV host, users in `admin`). Builds under mocks follow
 * once the digitalocean capability row admits the kinds.
 */
import { strict as assert } from "node:assert";
import { mongodbUrl } from "../components/connectionUrls";
import { caFilePath } from "../components/model/bindings";

describe("digitalocean document URL", function () {
  it("is mongodb+srv over the one SRV host, with replicaSet, tlsCAFile and authSource admin", function () {
    const url = mongodbUrl({ user: "app", password: "p@ss", hosts: ["private-db-mongodb-fra1-1.mongo.ondigitalocean.com"], database: "app", replicaSet: "db-mongodb-fra1", caFile: caFilePath("events"), srv: true, options: { authSource: "admin" } });
    assert.equal(url, "mongodb+srv://app:p%40ss@private-db-mongodb-fra1-1.mongo.ondigitalocean.com/app?tls=true&replicaSet=db-mongodb-fra1&tlsCAFile=/etc/ha-topology/ca/events.pem&authSource=admin");
  });

  it("without srv stays mongodb:// (other clouds unchanged)", function () {
    assert.match(mongodbUrl({ user: "a", password: "b", hosts: ["h:27017"], database: "d" }), /^mongodb:\/\//);
  });
});
