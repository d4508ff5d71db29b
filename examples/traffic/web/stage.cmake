# Copies the map page and its pinned browser libraries into the served folder:
#   cmake -DSRC=<examples/traffic/web> -DDST=<folder> [-DNPM=<npm>] -P stage.cmake
# Leaflet and MQTT.js come from web/node_modules (package-lock.json pins them); when that folder
# is missing and npm is known, `npm ci` fills it first.
set(leaflet "${SRC}/node_modules/leaflet/dist")
set(mqttjs "${SRC}/node_modules/mqtt/dist/mqtt.min.js")
if(NOT EXISTS "${leaflet}/leaflet.js" OR NOT EXISTS "${mqttjs}")
  if(NOT NPM)
    message(FATAL_ERROR "the map's libraries are missing: run `npm ci` in ${SRC}")
  endif()
  execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY "${SRC}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm ci in ${SRC} failed (${rc})")
  endif()
endif()
file(MAKE_DIRECTORY "${DST}/vendor")
foreach(f index.html map.js map.css)
  file(COPY_FILE "${SRC}/${f}" "${DST}/${f}" ONLY_IF_DIFFERENT)
endforeach()
file(COPY_FILE "${leaflet}/leaflet.js" "${DST}/vendor/leaflet.js" ONLY_IF_DIFFERENT)
file(COPY_FILE "${leaflet}/leaflet.css" "${DST}/vendor/leaflet.css" ONLY_IF_DIFFERENT)
file(COPY_FILE "${mqttjs}" "${DST}/vendor/mqtt.min.js" ONLY_IF_DIFFERENT)
file(COPY "${leaflet}/images" DESTINATION "${DST}/vendor")
